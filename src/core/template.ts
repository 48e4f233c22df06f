/**
 * What rack reads from a rack template: its parameter declarations (the planner's input), its resources
 * and its outputs (the rack template contract). Templates come as JSON or YAML with CloudFormation's
 * short-form tags; JSON is read by the same YAML parser, so both give the same errors with line numbers.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type CollectionTag,
  type Document,
  type ScalarTag,
} from 'yaml';
import { refused } from '../errors.js';

export interface ParameterDeclaration {
  key: string;
  type: string;
  /** Always text, as CloudFormation sees it: `Default: 1.10` is "1.10", not "1.1". */
  default?: string;
  noEcho: boolean;
  allowedValues?: string[];
  allowedPattern?: string;
  minLength?: number;
  maxLength?: number;
  minValue?: number;
  maxValue?: number;
  description?: string;
  constraintDescription?: string;
}

export interface TemplateResource {
  logicalId: string;
  type: string;
  properties?: Record<string, unknown>;
  updatePolicy?: Record<string, unknown>;
  condition?: string;
}

export interface RackTemplate {
  /** In declaration order. */
  parameters: ParameterDeclaration[];
  /** In declaration order. */
  resources: TemplateResource[];
  /** Output keys, in declaration order. */
  outputs: string[];
}

/** The NoEcho flags as GetTemplateSummary reports them (the SDK's shape). */
export interface SummaryParameter {
  ParameterKey?: string;
  NoEcho?: boolean;
}

/** `origin` names the template in messages, e.g. "release 1.4.0" or a file path. */
export function parseTemplate(body: string, origin?: string): RackTemplate {
  const { doc, root } = loadTemplate(body, origin);
  const fail: Fail = failure(origin);
  return {
    parameters: parametersOf(textOf(doc, doc.get('Parameters', true), fail), fail),
    resources: resourcesOf(root.Resources, fail),
    outputs: sectionKeys(root.Outputs, 'Outputs', fail),
  };
}

/**
 * Only the parameter declarations. A block-style YAML template is cut down to its top-level `Parameters:`
 * section first: the YAML parser reads about half a kilobyte a millisecond, and a command that needs only
 * the parameters (`rack params`) should not pay for the resources. Anything unusual takes the full parse,
 * which gives the same declarations (tested on every shipped template).
 */
export function parseTemplateParameters(body: string, origin?: string): ParameterDeclaration[] {
  const section = parametersSection(body);
  if (section !== undefined) {
    try {
      return parseTemplate(section, origin).parameters;
    } catch {
      // Fall through: the full parse reports the problem against the whole template.
    }
  }
  return parseTemplate(body, origin).parameters;
}

/** The `Parameters:` block of a block-style YAML template, from its line to the next top-level key. */
export function parametersSection(body: string): string | undefined {
  if (/^\s*[{[]/.test(body)) return undefined;
  const lines = body.split('\n');
  const start = lines.findIndex((line) => /^Parameters:\s*(#.*)?$/.test(line));
  if (start === -1) return undefined;
  let end = start + 1;
  while (end < lines.length && !/^[^\s#-]/.test(lines[end]!)) end++;
  return lines.slice(start, end).join('\n');
}

export function templateResources(body: string, origin?: string): TemplateResource[] {
  return parseTemplate(body, origin).resources;
}

export function templateOutputs(body: string, origin?: string): string[] {
  return parseTemplate(body, origin).outputs;
}

/**
 * GetTemplateSummary is authoritative for NoEcho, the template body may be read wrongly: a key NoEcho in
 * either is NoEcho. Summary keys the body does not declare are not added here; pass them to the planner
 * in `noEchoKeys` (see `noEchoKeysOf`).
 */
export function mergeNoEchoFromSummary(
  declarations: readonly ParameterDeclaration[],
  summaryParameters: readonly SummaryParameter[],
): ParameterDeclaration[] {
  const secretInSummary = new Set(summaryParameters.filter((p) => p.NoEcho === true).map((p) => p.ParameterKey));
  return declarations.map((d) => (secretInSummary.has(d.key) && !d.noEcho ? { ...d, noEcho: true } : d));
}

/** Every NoEcho key among the declarations and the summary. */
export function noEchoKeysOf(
  declarations: readonly ParameterDeclaration[],
  summaryParameters: readonly SummaryParameter[] = [],
): string[] {
  const keys = declarations.filter((d) => d.noEcho).map((d) => d.key);
  for (const p of summaryParameters) if (p.NoEcho === true && p.ParameterKey !== undefined) keys.push(p.ParameterKey);
  return [...new Set(keys)];
}

// ---------------------------------------------------------------------------------------------------
// Loading

type Fail = (message: string) => never;

function failure(origin: string | undefined): Fail {
  return (message) => {
    throw refused(`The template${origin ? ` (${origin})` : ''} is not valid: ${message}`, {
      untouched: 'Nothing was written to the stack.',
    });
  };
}

function loadTemplate(body: string, origin?: string): { doc: Document; root: Record<string, unknown> } {
  const fail: Fail = failure(origin);
  const doc = parseDocument(body, { customTags: SHORT_FORM_TAGS });
  const [firstError] = doc.errors;
  if (firstError) fail(`it is neither JSON nor YAML: ${firstError.message.split('\n')[0]!.replace(/:$/, '')}.`);
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Too many aliases: a "billion laughs" document, or one that is not a template at all.
    fail(`it cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isRecord(root)) fail('it must be a mapping with sections such as Parameters and Resources.');
  return { doc, root };
}

/**
 * CloudFormation's short forms, each as it would be written in long form. A tag may be written on a
 * scalar, a sequence or a mapping, so each gets all three.
 */
const SHORT_FORMS: Record<string, string> = {
  Ref: 'Ref',
  Condition: 'Condition',
  ...Object.fromEntries(
    [
      'Sub',
      'GetAtt',
      'If',
      'Equals',
      'Not',
      'Select',
      'GetAZs',
      'Join',
      'Split',
      'FindInMap',
      'Base64',
      'ImportValue',
      'And',
      'Or',
      'Cidr',
      'Transform',
      'ToJsonString',
      'Length',
    ].map((name) => [name, `Fn::${name}`]),
  ),
};

const SHORT_FORM_TAGS: Array<ScalarTag | CollectionTag> = Object.entries(SHORT_FORMS).flatMap(([name, longForm]) => {
  const scalar: ScalarTag = {
    tag: `!${name}`,
    resolve: (text) => ({ [longForm]: name === 'GetAtt' ? splitGetAtt(text) : text }),
  };
  const collection = (kind: 'seq' | 'map'): CollectionTag => ({
    tag: `!${name}`,
    collection: kind,
    resolve: (node) => ({ [longForm]: node.toJSON() }),
  });
  return [scalar, collection('seq'), collection('map')];
});

/** `!GetAtt Resource.Attribute.Path` splits at the first dot only. */
function splitGetAtt(text: string): string[] {
  const dot = text.indexOf('.');
  return dot === -1 ? [text] : [text.slice(0, dot), text.slice(dot + 1)];
}

/**
 * A node as plain data, keeping each scalar's text as written: parameter values are strings to
 * CloudFormation, and YAML would read `1.10` as the number 1.1.
 */
function textOf(doc: Document, node: unknown, fail: Fail, within: ReadonlySet<unknown> = new Set()): unknown {
  if (isAlias(node)) return textOf(doc, node.resolve(doc), fail, within);
  if (isScalar(node)) {
    const { value } = node;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      return node.source !== undefined && node.source !== '' ? node.source : String(value);
    }
    return value;
  }
  if (!isMap(node) && !isSeq(node)) return node ?? undefined;
  // An alias may point at a collection that contains it.
  if (within.has(node)) fail('it contains an alias that refers to itself.');
  const inside = new Set(within).add(node);
  if (isSeq(node)) return node.items.map((item) => textOf(doc, item, fail, inside));
  return Object.fromEntries(
    node.items.map((pair) => [String(textOf(doc, pair.key, fail, inside)), textOf(doc, pair.value, fail, inside)]),
  );
}

// ---------------------------------------------------------------------------------------------------
// Sections

function parametersOf(section: unknown, fail: Fail): ParameterDeclaration[] {
  if (section === undefined || section === null) return [];
  if (!isRecord(section)) fail('Parameters must be a mapping of parameter names to their declarations.');
  return Object.entries(section).map(([key, raw]) => declarationOf(key, raw, fail));
}

function declarationOf(key: string, raw: unknown, fail: Fail): ParameterDeclaration {
  const where = `parameter ${key}`;
  if (!isRecord(raw)) fail(`${where} must be a mapping with at least a Type.`);
  const type = optionalText(raw.Type, `${where}: Type`, fail);
  if (type === undefined || type === '') fail(`${where} has no Type.`);
  const declaration: ParameterDeclaration = { key, type, noEcho: noEchoOf(raw.NoEcho, where, fail) };
  const text = (field: string) => optionalText(raw[field], `${where}: ${field}`, fail);
  const number = (field: string, integer: boolean) => optionalNumber(raw[field], `${where}: ${field}`, integer, fail);
  assignDefined(declaration, {
    default: text('Default'),
    allowedValues: allowedValuesOf(raw.AllowedValues, where, fail),
    allowedPattern: text('AllowedPattern'),
    minLength: number('MinLength', true),
    maxLength: number('MaxLength', true),
    minValue: number('MinValue', false),
    maxValue: number('MaxValue', false),
    description: text('Description'),
    constraintDescription: text('ConstraintDescription'),
  });
  return declaration;
}

function noEchoOf(raw: unknown, where: string, fail: Fail): boolean {
  if (raw === undefined || raw === null) return false;
  const text = String(raw).toLowerCase();
  if (text === 'true') return true;
  if (text === 'false') return false;
  return fail(`${where}: NoEcho must be true or false.`);
}

function allowedValuesOf(raw: unknown, where: string, fail: Fail): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || !raw.every((v) => typeof v === 'string')) {
    return fail(`${where}: AllowedValues must be a list of values.`);
  }
  return raw;
}

function optionalText(raw: unknown, what: string, fail: Fail): string | undefined {
  // `Default:` with nothing after it is no default at all: asking for a value is safer than guessing one.
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') return fail(`${what} must be text.`);
  return raw;
}

function optionalNumber(raw: unknown, what: string, integer: boolean, fail: Fail): number | undefined {
  const text = optionalText(raw, what, fail);
  if (text === undefined) return undefined;
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value) || (integer && (!Number.isInteger(value) || value < 0))) {
    return fail(
      `${what} must be ${integer ? 'a whole number of characters' : 'a number'}, not ${JSON.stringify(text)}.`,
    );
  }
  return value;
}

function resourcesOf(section: unknown, fail: Fail): TemplateResource[] {
  if (section === undefined || section === null) return [];
  if (!isRecord(section)) fail('Resources must be a mapping of logical IDs to resources.');
  return Object.entries(section).map(([logicalId, raw]) => {
    if (!isRecord(raw) || typeof raw.Type !== 'string' || raw.Type === '') fail(`resource ${logicalId} has no Type.`);
    const resource: TemplateResource = { logicalId, type: raw.Type };
    assignDefined(resource, {
      properties: isRecord(raw.Properties) ? raw.Properties : undefined,
      updatePolicy: isRecord(raw.UpdatePolicy) ? raw.UpdatePolicy : undefined,
      condition: typeof raw.Condition === 'string' ? raw.Condition : undefined,
    });
    return resource;
  });
}

function sectionKeys(section: unknown, name: string, fail: Fail): string[] {
  if (section === undefined || section === null) return [];
  if (!isRecord(section)) fail(`${name} must be a mapping.`);
  return Object.keys(section);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Copies only the defined fields, so that declarations compare equal however they were written. */
function assignDefined<T extends object>(target: T, fields: Partial<T>): void {
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) (target as Record<string, unknown>)[name] = value;
  }
}

// ---------------------------------------------------------------------------------------------------
// Constraints: what a declaration allows, checked as CloudFormation checks it before any update starts

/** How CloudFormation reads a value of a parameter type. */
export type ValueShape = 'text' | 'number' | 'list' | 'number-list';

export function valueShape(type: string): ValueShape {
  if (type === 'Number') return 'number';
  if (type === 'List<Number>') return 'number-list';
  if (type === 'CommaDelimitedList' || /^List<.+>$/.test(type)) return 'list';
  // String, and the AWS-specific and SSM types, whose values CloudFormation looks up itself.
  return 'text';
}

export interface ViolationWording {
  /** How the value is named in messages: `"abc"`, or `the value` for a secret. */
  subject: string;
  /** A secret's elements are never quoted either. */
  secret: boolean;
}

/**
 * Every constraint of the declaration that the value breaks, each as a phrase starting with the subject
 * (empty when the value is allowed). AllowedValues and AllowedPattern apply to each element of a list,
 * Min/MaxLength to text, Min/MaxValue to numbers; a pattern must match the whole value.
 */
export function constraintViolations(
  declaration: ParameterDeclaration,
  value: string,
  wording: ViolationWording,
): string[] {
  const shape = valueShape(declaration.type);
  const violations =
    shape === 'text'
      ? textViolations(declaration, value, wording.subject)
      : shape === 'number'
        ? numberViolations(declaration, value, wording.subject)
        : listViolations(declaration, value, shape === 'number-list', wording);
  const because = declaration.constraintDescription ? ` (${declaration.constraintDescription})` : '';
  return violations.map((violation) => violation + because);
}

function textViolations(d: ParameterDeclaration, value: string, subject: string): string[] {
  const pattern = compilePattern(d.allowedPattern);
  return [
    d.allowedValues &&
      !d.allowedValues.includes(value) &&
      `${subject} is not one of the allowed values: ${listOf(d.allowedValues)}`,
    pattern && !pattern.test(value) && `${subject} does not match the pattern ${d.allowedPattern} (AllowedPattern)`,
    d.minLength !== undefined &&
      value.length < d.minLength &&
      `${subject} is shorter than ${d.minLength} characters (MinLength)`,
    d.maxLength !== undefined &&
      value.length > d.maxLength &&
      `${subject} is longer than ${d.maxLength} characters (MaxLength)`,
  ].filter((violation): violation is string => typeof violation === 'string');
}

function numberViolations(d: ParameterDeclaration, value: string, subject: string): string[] {
  if (!isNumber(value)) return [`${subject} is not a number (Type Number)`];
  return [
    d.allowedValues &&
      !d.allowedValues.includes(value) &&
      `${subject} is not one of the allowed values: ${listOf(d.allowedValues)}`,
    d.minValue !== undefined &&
      Number(value) < d.minValue &&
      `${subject} is below the minimum ${d.minValue} (MinValue)`,
    d.maxValue !== undefined &&
      Number(value) > d.maxValue &&
      `${subject} is above the maximum ${d.maxValue} (MaxValue)`,
  ].filter((violation): violation is string => typeof violation === 'string');
}

function listViolations(
  d: ParameterDeclaration,
  value: string,
  numbers: boolean,
  { subject, secret }: ViolationWording,
): string[] {
  const elements = value.split(',').map((element) => element.trim());
  // A secret's elements are never quoted; a plain list names the elements at fault.
  const naming = (bad: string[]) => (secret ? '' : `: ${bad.map(quote).join(', ')}`);
  if (numbers) {
    const notNumbers = elements.filter((element) => !isNumber(element));
    if (notNumbers.length > 0) return [`${subject} is not a list of numbers (Type ${d.type})${naming(notNumbers)}`];
  }
  const pattern = numbers ? undefined : compilePattern(d.allowedPattern);
  const checks: Array<[string, (element: string) => boolean] | false> = [
    !!d.allowedValues && [
      `outside the allowed values (${listOf(d.allowedValues)})`,
      (e) => d.allowedValues!.includes(e),
    ],
    !!pattern && [`not matching the pattern ${d.allowedPattern} (AllowedPattern)`, (e) => pattern.test(e)],
    numbers &&
      d.minValue !== undefined && [`below the minimum ${d.minValue} (MinValue)`, (e) => Number(e) >= d.minValue!],
    numbers &&
      d.maxValue !== undefined && [`above the maximum ${d.maxValue} (MaxValue)`, (e) => Number(e) <= d.maxValue!],
  ];
  const violations: string[] = [];
  for (const check of checks) {
    if (!check) continue;
    const [phrase, allowed] = check;
    const bad = elements.filter((element) => !allowed(element));
    if (bad.length === 0) continue;
    const count = bad.length === 1 ? 'an element' : `${bad.length} elements`;
    violations.push(`${subject} has ${count} ${phrase}${naming(bad)}`);
  }
  return violations;
}

/**
 * Why the declaration's AllowedPattern cannot be checked here, if it cannot. CloudFormation's patterns are
 * Java regular expressions; one that JavaScript cannot read the same way is left to CloudFormation rather
 * than refused on a guess.
 */
export function uncheckablePattern(declaration: ParameterDeclaration): string | undefined {
  const { allowedPattern } = declaration;
  if (allowedPattern === undefined || compilePattern(allowedPattern)) return undefined;
  return `the AllowedPattern of ${declaration.key} (${allowedPattern}) cannot be checked before the update; CloudFormation will check it`;
}

/** The pattern anchored at both ends, as CloudFormation matches it; undefined when absent or unreadable. */
function compilePattern(pattern: string | undefined): RegExp | undefined {
  if (pattern === undefined || hasForeignEscape(pattern)) return undefined;
  const anchored = `^(?:${pattern})$`;
  try {
    // Unicode mode reads characters whole, as Java does.
    return new RegExp(anchored, 'u');
  } catch {
    try {
      // Escapes like `\-` or `\_` that Unicode mode rejects mean the character itself, in Java too.
      return new RegExp(anchored);
    } catch {
      return undefined;
    }
  }
}

/**
 * An escape that Java and JavaScript read differently, or that only one of them knows: `\p{Alpha}` is ASCII
 * letters to Java and every alphabetic character to JavaScript, `\Q…\E` quotes in Java only, `\0` is octal.
 */
function hasForeignEscape(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i += 1) {
    if (pattern[i] !== '\\') continue;
    const next = pattern[i + 1] ?? '';
    if (next === '0' || (/[a-zA-Z]/.test(next) && !/[dDwWsSbBtnrfvxuck]/.test(next))) return true;
    i += 1;
  }
  return false;
}

function isNumber(text: string): boolean {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text);
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function listOf(values: readonly string[]): string {
  const shown = values.slice(0, 12).map(quote).join(', ');
  return values.length > 12 ? `${shown} and ${values.length - 12} more` : shown;
}
