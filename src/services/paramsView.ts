/**
 * `rack params`: a rack's parameters with their defaults and constraints. NoEcho values are always shown
 * masked, whatever the API returned (defence in depth: some endpoints return them in clear).
 */
import { currentTemplateBody, noEchoKeysFromSummary } from '../aws/changeSets.js';
import { findStack } from '../aws/cloudformation.js';
import type { Context } from '../context.js';
import { MASK } from '../core/redact.js';
import type { ParameterDeclaration } from '../core/template.js';
import { resolveRack, type Rack } from '../state/registry.js';
import { missingStack } from './rackStack.js';

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
  // The template reader (and its YAML parser) loads while the AWS calls are on the wire.
  const templateReader = import('../core/template.js');
  const rack = await resolveRack(ctx.state, rackName);
  const aws = ctx.aws(rack);
  // The three reads are independent; together they are most of what `rack params` costs.
  const [stack, body, summary] = await Promise.all([
    findStack(aws, rack.stack),
    currentTemplateBody(aws, rack.stack),
    noEchoKeysFromSummary(aws, { stackName: rack.stack }),
  ]);
  if (!stack) throw missingStack(rack);
  const { mergeNoEchoFromSummary, noEchoKeysOf, parseTemplateParameters } = await templateReader;
  const declarations = mergeNoEchoFromSummary(parseTemplateParameters(body, `the template of ${stack.name}`), summary);
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

