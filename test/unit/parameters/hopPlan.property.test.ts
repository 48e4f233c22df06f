/**
 * Properties of an update's hop plan over generated paths: templates that add, drop and default parameters,
 * migrations that add, generate, remove and rename, --param values, and an endpoint that may return secrets
 * in clear.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Release } from '../../../src/core/channels/catalog.js';
import { planHops, type HopsInput } from '../../../src/core/hopPlan.js';
import type { Migration } from '../../../src/core/migrations.js';
import type { MigrationChange } from '../../../src/core/schemas.js';
import type { ParameterDeclaration, RackTemplate } from '../../../src/core/template.js';

/** Plain keys, and secret ones: NoEcho wherever a template declares them. */
const PLAIN = ['A', 'B', 'C', 'D'];
const SECRET = ['S', 'T'];
const KEYS = [...PLAIN, ...SECRET];
const isSecret = (key: string) => SECRET.includes(key);
/** Every secret value in a scenario has this shape, so a leak is found by searching for it. */
const SECRET_MARK = 'Secret-Value-';

const release = (minor: number): Release => ({
  version: `1.${minor}.0`,
  template: `templates/rack-1.${minor}.0.yaml`,
  sha256: 'a'.repeat(64),
  published: '2026-01-01T00:00:00Z',
  notes: `notes of 1.${minor}.0`,
  barrier: minor % 2 === 0,
});

const declarationArb = (key: string) =>
  fc
    .record({ declared: fc.boolean(), withDefault: fc.constantFrom(true, true, true, false) })
    .map(({ declared, withDefault }): ParameterDeclaration | null =>
      declared
        ? { key, type: 'String', noEcho: isSecret(key), ...(withDefault ? { default: `default-${key}` } : {}) }
        : null,
    );

const templateArb: fc.Arbitrary<RackTemplate> = fc.tuple(...KEYS.map(declarationArb)).map((declarations) => ({
  parameters: [
    { key: 'Version', type: 'String', noEcho: false },
    ...declarations.filter((d): d is ParameterDeclaration => d !== null),
  ],
  resources: [],
  outputs: [],
}));

const changeArb: fc.Arbitrary<MigrationChange> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), key: fc.constantFrom(...PLAIN), value: fc.constant('migrated') }),
  fc.record({
    kind: fc.constant('add' as const),
    key: fc.constantFrom(...SECRET),
    generate: fc.constant({ bytes: 24 }),
  }),
  fc.record({ kind: fc.constant('remove' as const), key: fc.constantFrom(...KEYS) }),
  // A rename keeps a parameter secret or plain: one that turns a generated secret into a plain parameter
  // would show it, as the template then says it may be shown (channel authors' business, not the planner's).
  fc
    .constantFrom(PLAIN, SECRET)
    .chain((keys) => fc.tuple(fc.constantFrom(...keys), fc.constantFrom(...keys)))
    .filter(([from, to]) => from !== to)
    .map(([from, to]): MigrationChange => ({ kind: 'rename', from, to })),
);

const scenarioArb = fc
  .record({
    hops: fc.integer({ min: 1, max: 4 }),
    current: fc.subarray(KEYS),
    leaky: fc.boolean(),
    // Now and then a key no template declares, which the last hop refuses.
    params: fc
      .tuple(fc.subarray(KEYS), fc.constantFrom(false, false, false, true))
      .map(([keys, bogus]) => (bogus ? [...keys, 'Bogus'] : keys)),
  })
  .chain(({ hops, current, leaky, params }) =>
    fc.record({
      templates: fc.array(templateArb, { minLength: hops, maxLength: hops }),
      migrations: fc.array(fc.option(fc.array(changeArb, { minLength: 1, maxLength: 2 }), { freq: 2 }), {
        minLength: hops,
        maxLength: hops,
      }),
      current: fc.constant(current),
      leaky: fc.constant(leaky),
      params: fc.constant(params),
    }),
  )
  .map(({ templates, migrations, current, leaky, params }) => {
    const input: HopsInput = {
      from: '1.0.0',
      stack: [
        { key: 'Version', value: '1.0.0' },
        ...current.map((key) => ({
          key,
          value: isSecret(key) ? (leaky ? `${SECRET_MARK}stack-${key}` : '****') : `stack-${key}`,
        })),
      ],
      noEchoKeys: current.filter(isSecret),
      hops: templates.map((template, index) => ({ release: release(index + 1), template })),
      migrations: migrations.flatMap((changes, index) =>
        changes ? [{ version: `1.${index + 1}.0`, changes } satisfies Migration] : [],
      ),
      params: Object.fromEntries(
        params.map((key) => [key, isSecret(key) ? `${SECRET_MARK}param-${key}` : `param-${key}`]),
      ),
      generateSecret: (_spec, key) => `${SECRET_MARK}generated-${key}`,
    };
    return input;
  });

describe('hop plans over generated paths', () => {
  it('chain the hops from the rack’s version to the target, one per release', () => {
    fc.assert(
      fc.property(scenarioArb, (input) => {
        const { hops, changes } = planHops(input);
        expect(hops.map((h) => h.to)).toEqual(input.hops.map((h) => h.release.version));
        expect(hops.map((h) => h.from)).toEqual([input.from, ...hops.slice(0, -1).map((h) => h.to)]);
        expect(changes).toHaveLength(hops.length);
      }),
      { numRuns: 500 },
    );
  });

  it('give each --param to the first hop that declares it, else to the last', () => {
    fc.assert(
      fc.property(scenarioArb, (input) => {
        const { changes } = planHops(input);
        for (const [key, value] of Object.entries(input.params)) {
          const first = input.hops.findIndex((h) => h.template.parameters.some((p) => p.key === key));
          const at = first === -1 ? input.hops.length - 1 : first;
          changes.forEach((c, index) => {
            if (index === at) expect(c.userChanges[key]).toBe(value);
            else expect(c.userChanges).not.toHaveProperty(key);
          });
        }
      }),
      { numRuns: 500 },
    );
  });

  it('plan every declared parameter of a hop exactly once, Version at its release, or say why not', () => {
    fc.assert(
      fc.property(scenarioArb, (input) => {
        const { hops, problems } = planHops(input);
        hops.forEach((hop, index) => {
          const refused = problems.filter((p) => p.startsWith(`${hop.to}: `));
          if (hop.parameters.length === 0) {
            expect(refused.length).toBeGreaterThan(0);
            return;
          }
          expect(refused).toEqual([]);
          const declared = input.hops[index]!.template.parameters.map((p) => p.key);
          const planned = hop.parameters.filter((c) => c.kind !== 'removed').map((c) => c.key);
          expect(planned.sort()).toEqual([...declared].sort());
          expect(hop.parameters.find((c) => c.key === 'Version')).toMatchObject({ kind: 'set', displayNew: hop.to });
        });
      }),
      { numRuns: 500 },
    );
  });

  it('never show a secret: from the stack (even in clear), from --param, or generated', () => {
    fc.assert(
      fc.property(scenarioArb, (input) => {
        const { hops, warnings, problems } = planHops(input);
        expect(JSON.stringify({ hops, warnings, problems })).not.toContain(SECRET_MARK);
        for (const hop of hops) {
          for (const change of hop.parameters.filter((c) => isSecret(c.key))) expect(change.noEcho).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never send back a secret the stack returned: a kept secret goes as UsePreviousValue, never as a value', () => {
    fc.assert(
      fc.property(scenarioArb, (input) => {
        const { changes } = planHops(input);
        const fromStack = input.stack.filter((p) => isSecret(p.key)).map((p) => p.value);
        for (const c of changes) {
          for (const value of [...Object.values(c.userChanges), ...Object.values(c.migrationChanges.set ?? {})]) {
            expect(fromStack).not.toContain(value);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
