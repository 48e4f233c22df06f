/** A rack's stack, read with the error every command gives when it is gone. Kept light: `rack params` uses it. */
import { findStack, type StackSummary } from '../aws/cloudformation.js';
import type { AwsClients } from '../aws/clients.js';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import type { Rack } from '../state/registry.js';

/** The stack, or exit 2 naming it. */
export async function readRackStack(_ctx: Context, rack: Rack, aws: AwsClients): Promise<StackSummary> {
  const stack = await findStack(aws, rack.stackId ?? rack.stack);
  if (!stack) throw missingStack(rack);
  return stack;
}

export function missingStack(rack: Rack) {
  return usageError(`Stack "${rack.stack}" of rack ${rack.name} does not exist in ${rack.region}.`, {
    untouched: 'Nothing was written.',
    next: `Check it with \`rack racks show ${rack.name}\`; if the stack was deleted, \`rack racks remove ${rack.name}\`.`,
  });
}
