/**
 * `rack params`: a rack's parameters with their defaults and constraints. NoEcho values are always shown
 * masked, whatever the API returned (defence in depth: some endpoints return them in clear).
 */
import { currentTemplateBody, noEchoKeysFromSummary } from '../aws/changeSets.js';
import { findStack } from '../aws/cloudformation.js';
import type { Context } from '../context.js';
import { isAsteriskOnly, MASK } from '../core/redact.js';
import type { ParameterDeclaration } from '../core/template.js';
import { resolveRack, type Rack } from '../state/registry.js';
import { readTemplateFacts, templateDigest, writeTemplateFacts, type TemplateFacts } from '../state/templateFacts.js';
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

export async function showParameters(
  ctx: Context,
  rackName: string | undefined,
): Promise<{ rack: Rack; parameters: ParameterView[] }> {
  const rack = await resolveRack(ctx.state, rackName);
  const aws = ctx.aws(rack);
  const [stack, body] = await Promise.all([
    findStack(aws, rack.stackId ?? rack.stack),
    currentTemplateBody(aws, rack.stackId ?? rack.stack),
  ]);
  if (!stack) throw missingStack(rack);
  const { declarations, summaryNoEcho } = await templateFacts(ctx, rack, body);
  const secret = new Set([...summaryNoEcho, ...declarations.filter((d) => d.noEcho).map((d) => d.key)]);
  const byKey = new Map(declarations.map((d) => [d.key, d]));
  const parameters = stack.parameters.map((p): ParameterView => {
    const declaration = byKey.get(p.key);
    // A value that came back masked is a secret, whatever any template says.
    const noEcho = secret.has(p.key) || isAsteriskOnly(p.value ?? '');
    if (noEcho) ctx.logger.addSecret(p.value);
    return {
      key: p.key,
      value: noEcho ? MASK : (p.value ?? null),
      noEcho,
      isDefault:
        noEcho || !declaration || declaration.default === undefined
          ? noEcho
            ? null
            : false
          : declaration.default === p.value,
      constraint: declaration ? constraintText(declaration) : null,
      description: declaration?.description ?? null,
    };
  });
  return { rack, parameters };
}

/**
 * The template's declarations and its NoEcho keys from GetTemplateSummary (never guessed), read once per
 * template: they depend only on its bytes, so later runs take them from the cache under RACK_HOME.
 */
async function templateFacts(ctx: Context, rack: Rack, body: string): Promise<TemplateFacts> {
  const digest = templateDigest(body);
  const cached = await readTemplateFacts(ctx.home, digest);
  if (cached) return cached;
  const [summary, { mergeNoEchoFromSummary, noEchoKeysOf, parseTemplateParameters }] = await Promise.all([
    noEchoKeysFromSummary(ctx.aws(rack), { stackName: rack.stack }),
    import('../core/template.js'),
  ]);
  const declarations = mergeNoEchoFromSummary(parseTemplateParameters(body, `the template of ${rack.stack}`), summary);
  const facts = { declarations, summaryNoEcho: noEchoKeysOf([], summary) };
  await writeTemplateFacts(ctx.home, digest, facts);
  return facts;
}

/** A short description of what a parameter allows, for `rack params`. */
function constraintText(d: ParameterDeclaration): string | null {
  const parts: string[] = [];
  if (d.type !== 'String') parts.push(d.type);
  if (d.allowedValues) parts.push(`one of ${d.allowedValues.join('|')}`);
  if (d.minValue !== undefined || d.maxValue !== undefined) parts.push(`${d.minValue ?? ''}..${d.maxValue ?? ''}`);
  if (d.minLength !== undefined || d.maxLength !== undefined)
    parts.push(`length ${d.minLength ?? 0}..${d.maxLength ?? ''}`);
  if (d.allowedPattern) parts.push(`pattern ${d.allowedPattern}`);
  return parts.length ? parts.join(', ') : null;
}
