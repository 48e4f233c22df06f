/**
 * `rack params` and `rack params set`: a rack's parameters, shown with NoEcho values always masked, and
 * changed only through the parameter-safety layer (stackWrite).
 */
import { currentTemplateBody, noEchoKeysFromSummary } from '../aws/changeSets.js';
import type { Context } from '../context.js';
import { parseParameterArgs, refuseOwnedKeys } from '../core/parameterChanges.js';
import { MASK } from '../core/redact.js';
import { mergeNoEchoFromSummary, noEchoKeysOf, parseTemplate, type ParameterDeclaration } from '../core/template.js';
import { resolveRack, type Rack } from '../state/registry.js';
import { applyWrite, discardWrite, nothingToChange, prepareWrite, readRackStack, type PreparedWrite } from './stackWrite.js';

export interface ParameterView {
  key: string;
  /** Masked for NoEcho keys, whatever the API returned. */
  value: string | null;
  noEcho: boolean;
  /** Whether the value is the template's Default; null when it cannot be known (NoEcho). */
  isDefault: boolean | null;
  constraint: string | null;
  description: string | null;
}

export async function showParameters(ctx: Context, rackName: string | undefined): Promise<{ rack: Rack; parameters: ParameterView[] }> {
  const rack = await resolveRack(ctx.state, rackName);
  const aws = ctx.aws(rack);
  const stack = await readRackStack(ctx, rack, aws);
  const [body, summary] = await Promise.all([currentTemplateBody(aws, stack.name), noEchoKeysFromSummary(aws, { stackName: stack.name })]);
  const declarations = mergeNoEchoFromSummary(parseTemplate(body, `the template of ${stack.name}`).parameters, summary);
  const secret = new Set(noEchoKeysOf(declarations, summary));
  const byKey = new Map(declarations.map((d) => [d.key, d]));
  const parameters = stack.parameters.map((p): ParameterView => {
    const declaration = byKey.get(p.key);
    const noEcho = secret.has(p.key);
    if (noEcho) ctx.logger.addSecret(p.value);
    return {
      key: p.key,
      value: noEcho ? MASK : p.value ?? null,
      noEcho,
      isDefault: noEcho || !declaration || declaration.default === undefined ? (noEcho ? null : false) : declaration.default === p.value,
      constraint: declaration ? constraintText(declaration) : null,
      description: declaration?.description ?? null,
    };
  });
  return { rack, parameters };
}

/** A short description of what a parameter allows, for `rack params`. */
export function constraintText(d: ParameterDeclaration): string | null {
  const parts: string[] = [];
  if (d.type !== 'String') parts.push(d.type);
  if (d.allowedValues) parts.push(`one of ${d.allowedValues.join('|')}`);
  if (d.minValue !== undefined || d.maxValue !== undefined) parts.push(`${d.minValue ?? ''}..${d.maxValue ?? ''}`);
  if (d.minLength !== undefined || d.maxLength !== undefined) parts.push(`length ${d.minLength ?? 0}..${d.maxLength ?? ''}`);
  if (d.allowedPattern) parts.push(`pattern ${d.allowedPattern}`);
  return parts.length ? parts.join(', ') : null;
}

export interface ParamsChange {
  rack: Rack;
  prepared: PreparedWrite;
}

/** Parses and plans `rack params set K=V ...`, creating the change set to preview. Writes nothing yet. */
export async function prepareParamsChange(ctx: Context, rackName: string | undefined, args: string[]): Promise<ParamsChange> {
  const changes = parseParameterArgs(args);
  refuseOwnedKeys(changes);
  const rack = await resolveRack(ctx.state, rackName);
  const prepared = await prepareWrite(ctx, { rack, target: { usePrevious: true }, userChanges: changes, purpose: 'params-set' });
  return { rack, prepared };
}

export async function applyParamsChange(ctx: Context, change: ParamsChange) {
  if (nothingToChange(change.prepared)) return undefined;
  return applyWrite(ctx, change.prepared, `Changing the parameters of ${change.rack.name}`);
}

export async function discardParamsChange(change: ParamsChange): Promise<void> {
  await discardWrite(change.prepared);
}
