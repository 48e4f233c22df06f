import { z } from 'zod';
import { SHA256_HEX } from './digest.js';
import { LABEL_RULE, labelProblem } from './labels.js';
import { versionProblem } from './versions.js';

/**
 * The file formats of a channels source: the release catalog (`catalog.yaml`), one file per channel
 * (`<name>.yaml` beside it) and one migration per release that needs one (`migrations/<version>.yaml`).
 * Every object is strict, so a misspelt field is an error rather than a silently ignored setting. Files
 * carry `schema: 1`; a later format bumps it, and this rack then refuses the file instead of misreading it.
 */
export const SCHEMA_VERSION = 1;

/** A string checked by `problem`, whose message (or null when fine) becomes the zod issue. */
function checkedString(problem: (value: unknown) => string | null) {
  return z.custom<string>((value) => problem(value) === null, {
    error: (issue) => problem(issue.input) ?? 'invalid',
  });
}

function stringProblem(value: unknown, expected: string, ok: (text: string) => boolean): string | null {
  if (typeof value === 'string' && ok(value)) return null;
  return value === undefined ? `missing (expected ${expected})` : `expected ${expected}, got ${JSON.stringify(value)}`;
}

const versionField = checkedString(versionProblem);

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 time with a zone, e.g. 2025-03-01T12:00:00Z; a time without zone would depend on the reader. */
export const isoTimeField = checkedString((value) =>
  stringProblem(
    value,
    'an ISO time with a zone, like 2025-03-01T12:00:00Z',
    (text) => ISO_TIME.test(text) && !Number.isNaN(Date.parse(text)),
  ),
);

const sha256Field = checkedString((value) =>
  stringProblem(value, 'a sha256 digest (64 lowercase hex digits)', (text) => SHA256_HEX.test(text)),
);

// ---- template locations ----

export type TemplateLocation =
  | { kind: 'path'; path: string }
  | { kind: 'https'; url: string }
  | { kind: 's3'; bucket: string; key: string };

const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;

/**
 * Where a release's template lives: a path inside the channels directory, an https:// URL or an s3:// URL.
 * Paths may not climb out of the channels directory ("..") or be absolute: a source is self-contained,
 * whether it is a local directory or a GitHub repository.
 */
export function templateLocation(text: string): TemplateLocation | string {
  if (text.startsWith('https://')) {
    const url = URL.canParse(text) ? new URL(text) : undefined;
    if (!url || url.hostname === '') return `expected an https:// URL, got ${JSON.stringify(text)}`;
    if (url.username || url.password) return 'a template URL may not carry credentials';
    return { kind: 'https', url: text };
  }
  if (text.startsWith('s3://')) {
    const match = S3_URL.exec(text);
    if (!match) return `expected s3://<bucket>/<key>, got ${JSON.stringify(text)}`;
    return { kind: 's3', bucket: match[1]!, key: match[2]! };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    return `expected a relative path, an https:// URL or an s3:// URL, got ${JSON.stringify(text)}`;
  }
  const segments = text.split('/');
  if (text === '' || text.startsWith('/') || text.includes('\\') || segments.some((s) => s === '..' || s === '')) {
    return `expected a path inside the channels directory (relative, no ".."), got ${JSON.stringify(text)}`;
  }
  return { kind: 'path', path: segments.filter((s) => s !== '.').join('/') };
}

const templateField = checkedString((value) => {
  if (typeof value !== 'string') return stringProblem(value, 'a template location', () => false);
  const location = templateLocation(value);
  return typeof location === 'string' ? location : null;
});

// ---- durations ----

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;
const MINUTE = 60_000;

/** Milliseconds in a duration like "7d", "36h", "1d12h" or "90m"; null when it is not one. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text);
  if (!match || text === '') return null;
  const [days, hours, minutes] = [match[1], match[2], match[3]].map((part) => Number(part ?? 0));
  return ((days! * 24 + hours!) * 60 + minutes!) * MINUTE;
}

const durationField = checkedString((value) =>
  stringProblem(value, 'a duration like 7d, 36h or 1d12h', (text) => parseDuration(text) !== null),
);

// ---- the release catalog ----

const nonEmpty = (what: string) => z.string().min(1, { error: `expected ${what}, got an empty text` });

const yankSchema = z.strictObject({
  reason: nonEmpty('the reason for the yank'),
  at: isoTimeField,
  fixedIn: versionField.optional(),
});

// ---- known risks of a release ----

const RISK_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const riskNameField = checkedString((value) =>
  stringProblem(value, 'a risk name (lowercase letters, digits and dashes)', (text) => RISK_NAME.test(text)),
);

const labelKeyField = checkedString((value) =>
  stringProblem(value, `a label key (${LABEL_RULE})`, (text) => labelProblem(text, '') === null),
);
const labelValueField = checkedString((value) =>
  stringProblem(value, `a label value (${LABEL_RULE})`, (text) => labelProblem('k', text) === null),
);

/** A regular expression a value must match in full; checked here, so a bad one fails `channel verify`. */
const patternField = checkedString((value) => {
  if (typeof value !== 'string') return stringProblem(value, 'a regular expression', () => false);
  try {
    new RegExp(`^(?:${value})$`, 'u');
    return null;
  } catch (error) {
    return `not a regular expression: ${(error as Error).message}`;
  }
});

/** Parameter values are text in CloudFormation; YAML would read 1.10 as the number 1.1, so quotes are required. */
function parameterValueText() {
  return z.string({
    error: (issue) =>
      issue.input === undefined
        ? 'missing (expected a string)'
        : `expected a string, got ${JSON.stringify(issue.input)} (quote it: parameter values are text)`,
  });
}

const COMPARISONS = ['equals', 'notEquals', 'below', 'above', 'matches'] as const;

/** A parameter's value compared one way: equal, unequal, below or above a number, or matching a pattern. */
const parameterMatcherSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9]{1,255}$/, { error: 'expected a parameter name (letters and digits)' }),
    equals: parameterValueText().optional(),
    notEquals: parameterValueText().optional(),
    below: z.number().optional(),
    above: z.number().optional(),
    matches: patternField.optional(),
  })
  .refine((m) => COMPARISONS.filter((c) => m[c] !== undefined).length === 1, {
    error: `expected exactly one of ${COMPARISONS.join(', ')}`,
    when: (payload) => payload.issues.length === 0,
  });

/** A label the rack has (any value), or has with a value, or has not with that value. */
const labelMatcherSchema = z
  .strictObject({ name: labelKeyField, equals: labelValueField.optional(), notEquals: labelValueField.optional() })
  .refine((m) => m.equals === undefined || m.notEquals === undefined, {
    error: 'expected at most one of equals, notEquals',
    when: (payload) => payload.issues.length === 0,
  });

/** An ECS service of the rack (the one named, or any) running fewer than N tasks. */
const serviceMatcherSchema = z.strictObject({
  name: z.string().min(1).optional(),
  runningFewerThan: z.number().int().min(1),
});

export type RiskMatcher =
  | { parameter: z.infer<typeof parameterMatcherSchema> }
  | { label: z.infer<typeof labelMatcherSchema> }
  | { service: z.infer<typeof serviceMatcherSchema> }
  | { all: RiskMatcher[] }
  | { any: RiskMatcher[] };

const MATCHER_KINDS = ['parameter', 'label', 'service', 'all', 'any'] as const;

/** One kind per mapping, nested with all/any: `{all: [{parameter: …}, {label: …}]}`. */
const riskMatcherSchema: z.ZodType<RiskMatcher> = z.lazy(() =>
  z
    .strictObject(
      {
        parameter: parameterMatcherSchema.optional(),
        label: labelMatcherSchema.optional(),
        service: serviceMatcherSchema.optional(),
        all: z.array(riskMatcherSchema).min(1).optional(),
        any: z.array(riskMatcherSchema).min(1).optional(),
      },
      {
        error: (issue) =>
          issue.code === 'invalid_type' ? `expected a mapping with one of ${MATCHER_KINDS.join(', ')}` : undefined,
      },
    )
    .refine((m) => MATCHER_KINDS.filter((kind) => m[kind] !== undefined).length === 1, {
      error: `expected exactly one of ${MATCHER_KINDS.join(', ')}`,
      when: (payload) => payload.issues.length === 0,
    }),
) as z.ZodType<RiskMatcher>;

const riskSchema = z.strictObject({
  name: riskNameField,
  message: nonEmpty('what goes wrong on a matching rack'),
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  match: riskMatcherSchema,
});

export type RiskFile = z.infer<typeof riskSchema>;

const releaseSchema = z.strictObject({
  version: versionField,
  template: templateField,
  sha256: sha256Field,
  published: isoTimeField,
  notes: z.string(),
  barrier: z.boolean().optional(),
  minCli: versionField.optional(),
  yanked: yankSchema.optional(),
  /**
   * The digest of the release's migration (migrations/<version>.yaml): an unsigned source protects its
   * migrations only through the catalog, as it protects its templates.
   */
  migration: z.strictObject({ sha256: sha256Field }).optional(),
  /** Known risks: racks a matcher picks are refused the release unless the operator accepts the risk by name. */
  risks: z.array(riskSchema).optional(),
});

export const catalogFileSchema = z.strictObject({
  schema: z.literal(SCHEMA_VERSION),
  releases: z.array(releaseSchema),
});

export type YankFile = z.infer<typeof yankSchema>;
export type ReleaseFile = z.infer<typeof releaseSchema>;
export type CatalogFile = z.infer<typeof catalogFileSchema>;

// ---- channel files ----

const CHANNEL_NAME = /^[a-z0-9][a-z0-9-]*$/;
const channelNameField = checkedString((value) =>
  stringProblem(value, 'a channel name (lowercase letters, digits and dashes)', (text) => CHANNEL_NAME.test(text)),
);

// ---- a channel's rollout: waves with bake time ----

const WAVE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

const waveSchema = z
  .strictObject({
    name: checkedString((value) =>
      stringProblem(value, 'a wave name (lowercase letters, digits and dashes)', (text) => WAVE_NAME.test(text)),
    ),
    /** The racks whose labels match, e.g. {tier: canary}. */
    selector: z.record(labelKeyField, labelValueField).optional(),
    /** The share of the channel's racks that run the release once this wave is done (earlier waves included). */
    percent: z.number().int().min(1).max(100).optional(),
  })
  .refine((wave) => (wave.selector === undefined) !== (wave.percent === undefined), {
    error: 'a wave needs exactly one of selector or percent',
    when: (payload) => payload.issues.length === 0,
  })
  .refine((wave) => wave.selector === undefined || Object.keys(wave.selector).length > 0, {
    error: 'an empty selector would pick every rack: use percent: 100',
    when: (payload) => payload.issues.length === 0,
  });

const rolloutSchema = z.strictObject({
  /** How long a wave's racks stay updated, healthy and quiet before the next wave starts. */
  bake: durationField,
  waves: z.array(waveSchema).min(1, { error: 'expected at least one wave' }),
});

export type RolloutFile = z.infer<typeof rolloutSchema>;

export const channelFileSchema = z.strictObject({
  schema: z.literal(SCHEMA_VERSION),
  name: channelNameField,
  description: z.string(),
  /** The channel this one is promoted from, and how long a release soaks there first. */
  feeder: z.strictObject({ channel: channelNameField, soak: durationField }).optional(),
  /** Waves a release goes through, one after the other, in `rack sync`. */
  rollout: rolloutSchema.optional(),
  releases: z.array(
    z.strictObject({
      version: versionField,
      /** When the release entered this channel; soak periods count from here. */
      entered: isoTimeField,
      /** Promoted with --force, before its soak period was over. */
      forced: z.literal(true).optional(),
    }),
  ),
});

export type ChannelFile = z.infer<typeof channelFileSchema>;

// ---- migration files ----

const PARAMETER_KEY = /^[A-Za-z0-9]{1,255}$/;
/** rack sets Version on every update and `rack instances keyroll` owns Key: migrations keep off them. */
const OWNED_BY_RACK = new Set(['Version', 'Key']);

const parameterKeyField = checkedString((value) => {
  const problem = stringProblem(value, 'a parameter name (letters and digits)', (text) => PARAMETER_KEY.test(text));
  if (problem) return problem;
  return OWNED_BY_RACK.has(value as string)
    ? `${value as string} is managed by rack itself and cannot be migrated`
    : null;
});

const parameterValueField = parameterValueText();

const generateSchema = z.strictObject({
  /** Random bytes drawn for the secret. */
  bytes: z.number().int().min(16).max(512).default(24),
  /** Characters to draw from, one per byte; without it the bytes are written as base64url. */
  alphabet: z
    .string()
    .min(2)
    .refine((text) => new Set(text).size === text.length, {
      error: 'expected an alphabet without repeated characters',
    })
    .optional(),
});

export type GenerateSpec = z.infer<typeof generateSchema>;

const renameSchema = z
  .strictObject({ from: parameterKeyField, to: parameterKeyField })
  .refine((rename) => rename.from !== rename.to, { error: 'a rename needs two different names' });

/** A new parameter gets a literal value, or a generated secret (for a new NoEcho parameter). */
const addSchema = z
  .strictObject({
    key: parameterKeyField,
    value: parameterValueField.optional(),
    generate: generateSchema.optional(),
  })
  .refine((add) => (add.value === undefined) !== (add.generate === undefined), {
    error: 'an add needs exactly one of value or generate',
  });

/** `restore` is the value put back on rollback; without it (or for a NoEcho key) the user must supply one. */
const removeSchema = z.strictObject({
  key: parameterKeyField,
  restore: z.strictObject({ value: parameterValueField }).optional(),
});

const setSchema = z.strictObject({
  key: parameterKeyField,
  value: parameterValueField,
  inverse: z.strictObject(
    { value: parameterValueField },
    {
      error: (issue) =>
        issue.input === undefined
          ? 'missing: a set states the value rollback restores, e.g. inverse: { value: "old" }'
          : undefined,
    },
  ),
});

const CHANGE_KINDS = ['rename', 'add', 'remove', 'set'] as const;

/** One change is a mapping with exactly one of rename, add, remove or set, e.g. `- rename: {from: A, to: B}`. */
const changeSchema = z
  .strictObject(
    {
      rename: renameSchema.optional(),
      add: addSchema.optional(),
      remove: removeSchema.optional(),
      set: setSchema.optional(),
    },
    {
      error: (issue) =>
        issue.code === 'invalid_type' ? `expected a mapping with one of ${CHANGE_KINDS.join(', ')}` : undefined,
    },
  )
  .refine((change) => CHANGE_KINDS.filter((kind) => change[kind] !== undefined).length === 1, {
    error: `expected exactly one of ${CHANGE_KINDS.join(', ')}`,
    // An unknown field (say "renmae") is reported as such; "exactly one of" on top would only repeat it.
    when: (payload) => payload.issues.length === 0,
  })
  .transform((change): MigrationChange => {
    if (change.rename) return { kind: 'rename', ...change.rename };
    if (change.add) {
      return change.add.generate
        ? { kind: 'add', key: change.add.key, generate: change.add.generate }
        : { kind: 'add', key: change.add.key, value: change.add.value! };
    }
    if (change.remove) return { kind: 'remove', key: change.remove.key, restore: change.remove.restore?.value };
    if (change.set) return { kind: 'set', ...change.set, inverse: change.set.inverse.value };
    // Only reached past an unknown field, which zod has already reported; the result is thrown away.
    return z.NEVER;
  });

export type MigrationChange =
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'add'; key: string; value: string; generate?: undefined }
  | { kind: 'add'; key: string; generate: GenerateSpec; value?: undefined }
  | { kind: 'remove'; key: string; restore?: string | undefined }
  | { kind: 'set'; key: string; value: string; inverse: string };

export const migrationFileSchema = z.strictObject({
  schema: z.literal(SCHEMA_VERSION),
  version: versionField,
  changes: z.array(changeSchema).min(1, { error: 'expected at least one change' }),
});

export type MigrationFile = z.infer<typeof migrationFileSchema>;
