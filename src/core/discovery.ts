/**
 * Names for racks found in an account (`rack racks discover --add`): a rack is called by its stack's name,
 * which an operator already knows it by; when that name is taken or not a valid rack name, by the stack's
 * name and its region, which is unique in the account.
 */
import { RACK_NAME } from './rackName.js';

export function rackNameFor(stack: string, region: string, taken: ReadonlySet<string>): string | undefined {
  return [stack, `${stack}-${region}`].find((name) => RACK_NAME.test(name) && !taken.has(name));
}
