/**
 * Labels: `key=value` pairs an operator puts on a rack (`tier=canary`, `region=eu`), and selectors that pick
 * racks by them (`rack sync --selector tier=canary,region=eu`, a rollout wave's `selector: {tier: canary}`).
 * The syntax is Kubernetes' (a key of at most 63 letters, digits, `.`, `_`, `-` and `/`; a value of at most
 * 63, possibly empty), so that labels copied from other tools read the same.
 */
import { usageError } from '../errors.js';

export type Labels = Readonly<Record<string, string>>;

export const LABEL_KEY = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/;
export const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;

export const LABEL_RULE =
  'a key of letters, digits, ".", "_", "-" and "/" (at most 63, starting and ending with a letter or digit), and a value of the same without "/" (at most 63, may be empty)';

export function labelProblem(key: string, value: string): string | null {
  if (!LABEL_KEY.test(key)) return `"${key}" is not a label key`;
  if (!LABEL_VALUE.test(value)) return `"${value}" is not a label value (for ${key})`;
  return null;
}

/** Whether a record is a set of labels that all follow the syntax (the registry's shape check). */
export function isLabels(value: unknown): value is Labels {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(value).every(([k, v]) => typeof v === 'string' && labelProblem(k, v) === null);
}

export interface LabelChanges {
  set: Record<string, string>;
  remove: string[];
}

/**
 * `rack racks label` arguments: `k=v` sets a label, `k-` removes one. A key given twice, or set and
 * removed at once, is a mistake (exit 2) rather than "the last one wins".
 */
export function parseLabelArgs(args: readonly string[]): LabelChanges {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    const equals = arg.indexOf('=');
    const removing = equals === -1 && arg.endsWith('-');
    const key = equals >= 0 ? arg.slice(0, equals) : removing ? arg.slice(0, -1) : arg;
    if (equals === -1 && !removing) {
      throw usageError(`"${arg}" is not a label change: expected key=value, or key- to remove it.`, {
        next: `For example \`tier=canary\`, or \`${arg}-\`.`,
      });
    }
    const value = equals >= 0 ? arg.slice(equals + 1) : '';
    const problem = labelProblem(key, value);
    if (problem) throw usageError(`${problem}.`, { next: `Labels are ${LABEL_RULE}.` });
    if (seen.has(key)) throw usageError(`Label ${key} is given more than once.`, { next: `Give ${key} once.` });
    seen.add(key);
    if (removing) remove.push(key);
    else set[key] = value;
  }
  return { set, remove };
}

/** The labels after the changes; a label removed that was not there is no error (the result is the same). */
export function applyLabelChanges(labels: Labels | undefined, changes: LabelChanges): Labels {
  const next: Record<string, string> = { ...labels };
  for (const key of changes.remove) delete next[key];
  Object.assign(next, changes.set);
  return sortedLabels(next);
}

/** Keys in order, so that the registry and every listing show them the same way. */
export function sortedLabels(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export type Selector = Labels;

/** `k=v[,k2=v2]`: every pair must match. Empty, or a pair without `=`, is a usage error. */
export function parseSelector(text: string): Selector {
  const selector: Record<string, string> = {};
  const parts = text.split(',').map((part) => part.trim());
  if (text.trim() === '' || parts.some((part) => part === '')) {
    throw usageError(`"${text}" is not a selector: expected key=value[,key2=value2].`, {
      next: 'For example `--selector tier=canary` or `--selector tier=canary,region=eu`.',
    });
  }
  for (const part of parts) {
    const equals = part.indexOf('=');
    if (equals === -1) {
      throw usageError(`"${part}" in the selector is not key=value.`, {
        next: 'For example `--selector tier=canary`.',
      });
    }
    const key = part.slice(0, equals).trim();
    const value = part.slice(equals + 1).trim();
    const problem = labelProblem(key, value);
    if (problem) throw usageError(`${problem} in the selector.`, { next: `Labels are ${LABEL_RULE}.` });
    if (key in selector && selector[key] !== value) {
      throw usageError(`The selector asks for ${key} to be both "${selector[key]}" and "${value}".`, {
        next: 'Give each key once.',
      });
    }
    selector[key] = value;
  }
  return selector;
}

export function matchesSelector(labels: Labels | undefined, selector: Selector): boolean {
  return Object.entries(selector).every(([key, value]) => Object.hasOwn(labels ?? {}, key) && labels![key] === value);
}

/** "k=v,k2=v2", as a selector is written; a separator such as ', ' for text a person reads. */
export const formatLabels = (labels: Labels | undefined, separator = ','): string =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(separator);
