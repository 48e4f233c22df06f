import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyMigrations,
  type Migration,
  type MigrationOptions,
  type MigrationResult,
  type ParamState,
} from '../../../src/core/migrations.js';
import type { MigrationChange } from '../../../src/core/schemas.js';

/**
 * Generated stacks and migrations that fit them: each change acts on a key the stack has at that point, and
 * new names are never reused. A remove carries the value it removes as its `restore` when that value is known,
 * and a set states the value it replaces as its inverse when known, so that the migrations are invertible as
 * far as the stack's values are known.
 */
const opArb = fc.record({
  kind: fc.constantFrom('rename', 'add', 'generate', 'remove', 'set'),
  pick: fc.nat(),
  text: fc.string({ maxLength: 6 }),
  restore: fc.boolean(),
  newMigration: fc.boolean(),
});

const stackArb = (knownOnly: boolean) =>
  fc.record({
    initial: fc.array(
      fc.record({ known: knownOnly ? fc.constant(true) : fc.boolean(), text: fc.string({ maxLength: 6 }) }),
      { maxLength: 6 },
    ),
    ops: fc.array(opArb, { maxLength: 16 }),
  });

const secret = (key: string) => `generated-${key}`;
const options: MigrationOptions = { generateSecret: (_spec, key) => secret(key) };

type Stack = ReturnType<typeof stackArb> extends fc.Arbitrary<infer T> ? T : never;

function build({ initial, ops }: Stack) {
  const params: Record<string, ParamState> = {};
  const known = new Map<string, string | null>();
  initial.forEach(({ known: isKnown, text }, index) => {
    params[`K${index}`] = isKnown ? { kind: 'value', value: text } : { kind: 'previous' };
    known.set(`K${index}`, isKnown ? text : null);
  });
  const migrations: { version: string; changes: MigrationChange[] }[] = [];
  let fresh = 0;
  for (const op of ops) {
    if (op.newMigration || migrations.length === 0)
      migrations.push({ version: `1.${migrations.length}.0`, changes: [] });
    const changes = migrations.at(-1)!.changes;
    const keys = [...known.keys()];
    const existing = keys[op.pick % Math.max(1, keys.length)];
    const name = `N${fresh++}`;
    if (op.kind === 'add') {
      changes.push({ kind: 'add', key: name, value: op.text });
      known.set(name, op.text);
    } else if (op.kind === 'generate') {
      changes.push({ kind: 'add', key: name, generate: { bytes: 24 } });
      known.set(name, secret(name));
    } else if (existing === undefined) {
    } else if (op.kind === 'rename') {
      changes.push({ kind: 'rename', from: existing, to: name });
      known.set(name, known.get(existing)!);
      known.delete(existing);
    } else if (op.kind === 'remove') {
      const value = known.get(existing);
      changes.push({ kind: 'remove', key: existing, restore: op.restore && value !== null ? value : undefined });
      known.delete(existing);
    } else {
      changes.push({ kind: 'set', key: existing, value: op.text, inverse: known.get(existing) ?? `${op.text}-old` });
      known.set(existing, op.text);
    }
  }
  return { params, migrations: migrations.filter((m) => m.changes.length > 0) as Migration[] };
}

/** Applies, then applies again with a value supplied for each key the first run could not recover. */
function applyResolving(
  params: Record<string, ParamState>,
  migrations: Migration[],
  direction: 'forward' | 'backward',
) {
  const first = applyMigrations(params, migrations, direction, options);
  const supplied = Object.fromEntries(first.problems.map((problem) => [problem.key, `supplied-${problem.key}`]));
  const second = applyMigrations(params, migrations, direction, { ...options, supplied });
  return { first, second, supplied };
}

function expectSound(
  params: Record<string, ParamState>,
  run: { first: MigrationResult; second: MigrationResult; supplied: Record<string, string> },
) {
  expect(run.first.problems.filter((p) => p.reason !== 'unrecoverable')).toEqual([]);
  // UsePreviousValue only ever stands for a key the stack has under that same name.
  for (const [key, state] of Object.entries(run.first.params)) {
    if (state.kind === 'previous') expect(params[key]).toEqual({ kind: 'previous' });
  }
  // Supplying the keys named in the problems is enough, and gives exactly those keys the supplied values.
  expect(run.second.problems).toEqual([]);
  for (const [key, value] of Object.entries(run.supplied))
    expect(run.second.params[key]).toEqual({ kind: 'value', value });
}

describe('migrations over generated stacks', () => {
  it('forward then backward gives back the original values, when every value is known', () => {
    fc.assert(
      fc.property(stackArb(true), (stack) => {
        const { params, migrations } = build({ ...stack, ops: stack.ops.map((op) => ({ ...op, restore: true })) });
        const forward = applyMigrations(params, migrations, 'forward', options);
        expect(forward.problems).toEqual([]);
        const backward = applyMigrations(forward.params, migrations, 'backward', options);
        expect(backward.problems).toEqual([]);
        expect(backward.params).toEqual(params);
        const changes = migrations.reduce((count, m) => count + m.changes.length, 0);
        expect(forward.effects).toHaveLength(changes);
        expect(backward.effects).toHaveLength(changes);
      }),
      { numRuns: 1000 },
    );
  });

  it('report exactly the values that cannot be recovered, and only those, in both directions', () => {
    fc.assert(
      fc.property(stackArb(false), (stack) => {
        const { params, migrations } = build(stack);
        const forward = applyResolving(params, migrations, 'forward');
        expectSound(params, forward);
        const backward = applyResolving(forward.second.params, migrations, 'backward');
        expectSound(forward.second.params, backward);
        expect(Object.keys(backward.second.params).sort()).toEqual(Object.keys(params).sort());
        // Values known at the start come back, unless the user had to supply them.
        for (const [key, state] of Object.entries(params)) {
          if (state.kind === 'value' && !(key in backward.supplied)) expect(backward.second.params[key]).toEqual(state);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
