/**
 * A stack's identity is its StackId (an ARN), not the name it was typed with: the same stack by name and by
 * ARN is one rack, and a stack deleted and created again under the same name is another. Everything rack
 * keeps per stack — its lock, the marker of an operation in flight, keyroll progress — is keyed by it.
 */

export interface StackIdentity {
  region: string;
  account: string;
  name: string;
  /** The unique part CloudFormation gives each stack it creates. */
  uuid: string;
}

const STACK_ARN =
  /^arn:aws[a-z-]*:cloudformation:([a-z0-9-]+):(\d{12}):stack\/([a-zA-Z][-a-zA-Z0-9]*)\/([-a-zA-Z0-9]+)$/;

export function parseStackId(stackId: string): StackIdentity | undefined {
  const match = STACK_ARN.exec(stackId);
  if (!match) return undefined;
  return { region: match[1]!, account: match[2]!, name: match[3]!, uuid: match[4]! };
}

/**
 * Where a stack's state lives in the store: by StackId when rack knows it, else (a rack registered before
 * StackIds were kept, or a stack not created yet) by region and name.
 */
export function stackStateKey(stack: { stackId?: string; region: string; stack: string }): string {
  const id = stack.stackId ? parseStackId(stack.stackId) : undefined;
  if (id) return `${id.region}/${id.account}/${id.name}/${id.uuid}`;
  return legacyStateKey(stack);
}

/** The key racks registered before StackIds were kept used: their state files move on first write. */
export const legacyStateKey = (stack: { region: string; stack: string }): string => `${stack.region}/${stack.stack}`;
