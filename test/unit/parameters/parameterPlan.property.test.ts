import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAsteriskOnly, MASK } from '../../../src/core/redact.js';
import { constraintViolations, type ParameterDeclaration } from '../../../src/core/template.js';
import {
  DEFAULT_VALUE,
  NEW_VALUE,
  planParameters,
  UNCHANGED,
  type MigrationChanges,
  type ParameterPlanInput,
  type StackParameter,
} from '../../../src/core/parameterPlan.js';

/**
 * Random templates, stacks and changes. Every secret the stack returns in clear contains LEAKED, which no
 * generated key or value can contain (they have no capital letters but K), so finding it in the planner's
 * output can only mean the planner copied a value it read for a NoEcho key.
 *
 * Most values are GOOD: replaced by a value the declaration allows, so that plenty of cases end in a plan
 * and not only in a refusal; the others are random, asterisks included.
 */
const DECLARABLE = [
  'Version',
  'Key',
  'Password',
  'Token',
  'InstanceCount',
  'InstanceType',
  'Subnets',
  'Ports',
  'Name',
  'Motd',
];
const ONLY_ON_STACK = ['LogRetention', 'OldSecret', 'Legacy'];
const UNKNOWN = ['Bogus', 'instancetype', 'Pasword', 'LogRetention'];
const GOOD = Symbol('a value the declaration allows');
const CANDIDATES = [
  'abc',
  '3',
  '7',
  '1',
  '0',
  't3.small',
  'a',
  'a,b',
  '1,3',
  'valid-pass-1',
  'b',
  't3.large',
  '12345678901',
];

const randomValueArb = fc.oneof(
  fc.constantFrom(
    '',
    '0',
    '1',
    '3',
    '7',
    '20',
    '21',
    '-1',
    '1.5',
    'abc',
    't3.small',
    't3.large',
    'a,b',
    '1,2',
    '80,x',
    'x y',
    'valid-pass-1',
  ),
  fc.stringMatching(/^\*{1,9}$/),
  fc.string({ unit: fc.constantFrom(...'ab01*,.- '), maxLength: 12 }),
);
const valueArb = fc.oneof({ arbitrary: fc.constant(GOOD), weight: 4 }, { arbitrary: randomValueArb, weight: 1 });
const rarely = <T>(arbitrary: fc.Arbitrary<T>, otherwise: T) =>
  fc.oneof({ arbitrary: fc.constant(otherwise), weight: 5 }, { arbitrary, weight: 1 });

const declarationArb = fc.record({
  type: fc.constantFrom(
    'String',
    'String',
    'Number',
    'List<Number>',
    'CommaDelimitedList',
    'AWS::EC2::KeyPair::KeyName',
  ),
  noEcho: fc.boolean(),
  default: fc.option(valueArb, { freq: 4, nil: undefined }),
  allowedValues: rarely(
    fc.uniqueArray(fc.constantFrom('0', '1', '3', '7', 'a', 'b', 't3.small', 't3.large', '****'), {
      minLength: 1,
      maxLength: 4,
    }),
    undefined,
  ),
  allowedPattern: rarely(fc.constantFrom('[a-z0-9.-]*', '[0-9]+', '[!-~]+', '\\p{Alpha}*'), undefined),
  minLength: rarely(fc.nat(10), undefined),
  maxLength: rarely(fc.integer({ min: 5, max: 20 }), undefined),
  minValue: rarely(fc.integer({ min: -5, max: 5 }), undefined),
  maxValue: rarely(fc.integer({ min: 5, max: 30 }), undefined),
});

const scenarioArb = fc.uniqueArray(fc.constantFrom(...DECLARABLE), { maxLength: 8 }).chain((keys) =>
  fc
    .record({
      declarations: fc.tuple(...keys.map((_key) => declarationArb)),
      stackKeys: fc.shuffledSubarray([...keys, ...ONLY_ON_STACK]),
      stackValues: fc.array(fc.option(valueArb, { freq: 10, nil: undefined }), {
        minLength: keys.length + ONLY_ON_STACK.length,
        maxLength: keys.length + ONLY_ON_STACK.length,
      }),
      leaksInClear: fc.array(fc.boolean(), {
        minLength: keys.length + ONLY_ON_STACK.length,
        maxLength: keys.length + ONLY_ON_STACK.length,
      }),
      /** NoEcho in the current template or in GetTemplateSummary, whatever the target's body says. */
      alsoSecret: rarely(fc.subarray([...keys, ...ONLY_ON_STACK]), []),
      userKeys: fc.shuffledSubarray(keys),
      userValues: fc.array(valueArb, { minLength: keys.length, maxLength: keys.length }),
      unknownUserKey: rarely(fc.constantFrom(...UNKNOWN), undefined),
      migrationSet: rarely(fc.subarray(keys), []),
      migrationValues: fc.array(valueArb, { minLength: keys.length, maxLength: keys.length }),
      migrationRemove: fc.subarray([...ONLY_ON_STACK, ...keys.slice(0, 1)], { maxLength: 2 }),
      rename: rarely(
        fc.record({ from: fc.constantFrom(...ONLY_ON_STACK, ...keys), to: fc.constantFrom(...ONLY_ON_STACK, ...keys) }),
        undefined,
      ),
      unrecoverable: rarely(fc.subarray(keys, { maxLength: Math.min(1, keys.length) }), []),
      nonce: fc.nat(),
    })
    .map((generated) => ({ keys, ...generated })),
);

/** A value the declaration allows, when one of the candidates is; asterisks never count for a secret. */
function goodValueFor(declaration: ParameterDeclaration, secret: boolean): string {
  const allowed = (value: string) => constraintViolations(declaration, value, { subject: 'v', secret }).length === 0;
  return (
    [...(declaration.allowedValues ?? []), ...CANDIDATES].find((v) => allowed(v) && !(secret && isAsteriskOnly(v))) ??
    'abc'
  );
}

type Scenario = ReturnType<typeof toInput>;

type Generated = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function toInput(s: Generated) {
  const bare = s.keys.map((key, i): ParameterDeclaration => {
    const { default: _default, ...rest } = s.declarations[i]!;
    return Object.fromEntries(
      Object.entries({ key, ...rest }).filter(([, v]) => v !== undefined),
    ) as unknown as ParameterDeclaration;
  });
  const secret = new Set([...bare.filter((d) => d.noEcho).map((d) => d.key), ...s.alsoSecret]);
  const good = new Map(bare.map((d) => [d.key, goodValueFor(d, secret.has(d.key))]));
  const valueFor = (key: string, value: string | typeof GOOD) => (value === GOOD ? (good.get(key) ?? 'abc') : value);

  const declarations = bare.map((d, i) => {
    const generatedDefault = s.declarations[i]!.default;
    return generatedDefault === undefined ? d : { ...d, default: valueFor(d.key, generatedDefault) };
  });
  const leaks: string[] = [];
  const stack: StackParameter[] = s.stackKeys.map((key, i) => {
    if (secret.has(key)) {
      if (!s.leaksInClear[i]) return { key, value: MASK };
      const leak = `LEAKED-${key}-${s.nonce}`;
      leaks.push(leak);
      return { key, value: leak };
    }
    const generated = s.stackValues[i];
    return generated === undefined ? { key } : { key, value: valueFor(key, generated) };
  });
  const userChanges: Record<string, string> = Object.fromEntries(
    s.userKeys.map((key, i) => [key, valueFor(key, s.userValues[i]!)]),
  );
  if (s.unknownUserKey !== undefined) userChanges[s.unknownUserKey] = 'typed-by-hand';
  const migrationChanges: MigrationChanges = {
    set: Object.fromEntries(s.migrationSet.map((key, i) => [key, valueFor(key, s.migrationValues[i]!)])),
    remove: s.migrationRemove,
    ...(s.rename ? { rename: [s.rename] } : {}),
  };
  const input: ParameterPlanInput = {
    declarations,
    stack,
    noEchoKeys: s.alsoSecret,
    userChanges,
    migrationChanges,
    unrecoverable: s.unrecoverable.map((key) => ({ key, reason: 'a migration removed it' })),
  };
  return { input, secret, leaks };
}

const scenarios = scenarioArb.map(toInput);

/** The value the planner was asked to give a key, if any: the user's, else the migration's. */
function asked({ input }: Scenario, key: string): string | undefined {
  return input.userChanges?.[key] ?? input.migrationChanges?.set?.[key];
}

/**
 * The properties, checked with node's assert: vitest's expect is too slow for 10,000 cases. Each failure
 * message says which property broke; fast-check adds the shrunk case.
 */
function check(scenario: Scenario): void {
  const { input, secret, leaks } = scenario;
  const result = planParameters(input);
  const json = JSON.stringify(result);

  // No value the API returned for a NoEcho key ever leaves the planner: not in a plan, not in a refusal.
  for (const leak of leaks) assert.ok(!json.includes(leak), `a secret read from the stack leaked: ${leak}`);
  assert.equal(JSON.stringify(planParameters(input)), json, 'the same input gives the same plan');

  const declared = new Map(input.declarations.map((d) => [d.key, d]));
  const onStack = new Set(input.stack.map((p) => p.key));
  const unknownUserKeys = Object.keys(input.userChanges ?? {}).filter((key) => !declared.has(key));
  const unrecoverable = new Set((input.unrecoverable ?? []).map((u) => u.key));
  const rename = input.migrationChanges?.rename?.[0];
  const missing = input.declarations.filter(
    (d) =>
      !onStack.has(d.key) && asked(scenario, d.key) === undefined && d.default === undefined && d.key !== rename?.to,
  );

  if (!result.ok) {
    assert.ok(result.problems.length > 0, 'a refusal lists its problems');
    for (const key of unknownUserKeys) {
      assert.ok(
        result.problems.some((p) => p.key === key && p.kind === 'unknown-key'),
        `unknown key ${key} is reported`,
      );
    }
    for (const d of missing) {
      assert.ok(
        result.problems.some((p) => p.key === d.key),
        `${d.key}, new without a value or default, is reported`,
      );
    }
    return;
  }

  assert.deepEqual(
    missing.map((d) => d.key),
    [],
    'a key new to the stack without a value and without a default is refused',
  );
  assert.deepEqual(unknownUserKeys, [], 'an unknown key is refused');

  const sent = new Map(result.parameters.map((p) => [p.ParameterKey, p]));
  assert.equal(sent.size, result.parameters.length, 'each key is sent at most once');
  assert.deepEqual(
    result.parameters.map((p) => p.ParameterKey),
    input.declarations.map((d) => d.key).filter((key) => sent.has(key)),
    'only declared keys are sent, in declaration order',
  );

  for (const d of input.declarations) {
    const parameter = sent.get(d.key);
    const value = parameter && 'ParameterValue' in parameter ? parameter.ParameterValue : undefined;
    if (onStack.has(d.key)) assert.ok(parameter, `${d.key}, on the stack and declared, is never omitted`);
    if (onStack.has(d.key) && asked(scenario, d.key) === undefined) {
      assert.deepEqual(
        parameter,
        { ParameterKey: d.key, UsePreviousValue: true },
        `${d.key}, not changed, keeps its previous value`,
      );
    }
    if (secret.has(d.key) && value !== undefined) {
      assert.ok(!isAsteriskOnly(value), `NoEcho ${d.key} never receives a value made only of asterisks`);
    }
    if (value !== undefined) {
      const carried =
        rename?.to === d.key && !secret.has(rename.from)
          ? input.stack.find((p) => p.key === rename.from)?.value
          : undefined;
      assert.ok(
        value === asked(scenario, d.key) || value === carried,
        `${d.key} is sent only a value asked for, never one read for a secret`,
      );
    }
    if (unrecoverable.has(d.key) && asked(scenario, d.key) === undefined) {
      assert.equal(parameter, undefined, `${d.key}, unrecoverable, gets a value only from the user or a migration`);
    }
    const change = result.changes.find((c) => c.key === d.key);
    assert.ok(change, `${d.key} has a line in the changes`);
    if (secret.has(d.key)) {
      for (const shown of [change.displayOld, change.displayNew]) {
        assert.ok(
          [undefined, MASK, UNCHANGED, NEW_VALUE, DEFAULT_VALUE].includes(shown),
          `NoEcho ${d.key} is shown only masked`,
        );
      }
    }
  }

  for (const key of onStack) {
    if (declared.has(key)) continue;
    assert.ok(!sent.has(key), `${key}, no longer declared, is not sent`);
    assert.ok(
      result.changes.some((c) => c.key === key && c.kind === 'removed'),
      `${key}, no longer declared, is reported removed`,
    );
  }
}

describe('the parameter planner, on random templates, stacks and changes', () => {
  it('keeps every safety property over 10,000 cases', () => {
    fc.assert(fc.property(scenarios, check), { numRuns: 10_000 });
  });

  it('produces plans, not only refusals: the properties are exercised on both', () => {
    const outcomes = fc.sample(scenarios, { numRuns: 2_000, seed: 42 }).map(({ input }) => planParameters(input).ok);
    expect(outcomes.filter(Boolean).length).toBeGreaterThan(100);
    expect(outcomes.filter((ok) => !ok).length).toBeGreaterThan(100);
  });
});
