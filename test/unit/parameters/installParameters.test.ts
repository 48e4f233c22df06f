/** A new rack's parameters: planned against an empty stack, shown with where each value comes from. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planInstallParameters, type InstallParametersInput } from '../../../src/core/installParameters.js';
import type { ParameterDeclaration } from '../../../src/core/template.js';
import { formatError, isRackError, type RackError } from '../../../src/errors.js';

const PASSWORD = 'install-Secret-9';
const WEBHOOK = 'generated-Webhook-Secret';

const DECLARATIONS: ParameterDeclaration[] = [
  { key: 'Version', type: 'String', noEcho: false },
  { key: 'Key', type: 'String', noEcho: false, default: '' },
  { key: 'Password', type: 'String', noEcho: true, minLength: 8 },
  { key: 'InstanceCount', type: 'Number', noEcho: false, default: '3', minValue: 1, maxValue: 20 },
  { key: 'InstanceType', type: 'String', noEcho: false, default: 't3.small', allowedValues: ['t3.small', 't3.large'] },
  { key: 'Domain', type: 'String', noEcho: false },
  { key: 'WebhookSecret', type: 'String', noEcho: true },
];

const input = (extra: Partial<InstallParametersInput> = {}): InstallParametersInput => ({
  rack: 'prod',
  version: '1.4.0',
  declarations: DECLARATIONS,
  noEchoKeys: ['Password', 'WebhookSecret'],
  values: { Password: PASSWORD, Domain: 'rack.example.com', InstanceCount: '5', WebhookSecret: WEBHOOK },
  generated: new Map([['WebhookSecret', { migration: '1.4.0' }]]),
  prompted: new Set(['Domain']),
  ...extra,
});

function refusal(run: () => unknown): RackError {
  try {
    run();
  } catch (error) {
    if (isRackError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('install parameters', () => {
  it('say where each value comes from, NoEcho ones only masked', () => {
    const planned = planInstallParameters(input());
    expect(planned.shown).toEqual([
      { key: 'Version', noEcho: false, source: 'release', display: '1.4.0' },
      { key: 'Key', noEcho: false, source: 'default', display: '' },
      { key: 'Password', noEcho: true, source: 'user', display: '****' },
      { key: 'InstanceCount', noEcho: false, source: 'user', display: '5' },
      { key: 'InstanceType', noEcho: false, source: 'default', display: 't3.small' },
      { key: 'Domain', noEcho: false, source: 'prompt', display: 'rack.example.com' },
      { key: 'WebhookSecret', noEcho: true, source: 'generated', display: '****', generatedBy: '1.4.0' },
    ]);
    expect(JSON.stringify(planned.shown)).not.toContain(PASSWORD);
    expect(JSON.stringify(planned.shown)).not.toContain(WEBHOOK);
    // What CloudFormation gets: the values, and nothing for the parameters whose default applies.
    expect(planned.parameters).toEqual([
      { ParameterKey: 'Version', ParameterValue: '1.4.0' },
      { ParameterKey: 'Password', ParameterValue: PASSWORD },
      { ParameterKey: 'InstanceCount', ParameterValue: '5' },
      { ParameterKey: 'Domain', ParameterValue: 'rack.example.com' },
      { ParameterKey: 'WebhookSecret', ParameterValue: WEBHOOK },
    ]);
  });

  it('missing values alone cannot run as typed (exit 2), naming --param for each', () => {
    const error = refusal(() => planInstallParameters(input({ values: { WebhookSecret: WEBHOOK } })));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('Release 1.4.0 needs values for Password, Domain, which have no default.');
    expect(error.next).toBe(
      'Run it again with --param Password=<value> --param Domain=<value>, or on a terminal without --yes to be asked.',
    );
    expect(error.details).toEqual({ missing: ['Password', 'Domain'] });
    expect(error.untouched).toBe('Nothing was created.');
  });

  it('an invalid value is refused (exit 3) with every problem, a missing one among them, and no secret', () => {
    const error = refusal(() =>
      planInstallParameters(input({ values: { Password: 'xY7!q', InstanceType: 't2.nano', Bogus: '1' } })),
    );
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe('The parameters for prod were refused (5 problems).');
    expect(error.problems).toContain('Domain: required; give it with --param Domain=<value>');
    expect(error.problems?.join('\n')).toContain('Bogus');
    expect(formatError(error)).not.toContain('xY7!q');
  });
});

const SECRET_MARK = 'Secret-Value-';
const declarationArb = () =>
  fc.record({
    declared: fc.boolean(),
    noEcho: fc.boolean(),
    withDefault: fc.boolean(),
    allowed: fc.boolean(),
  });

describe('install parameters over generated templates and values', () => {
  it('show NoEcho values only masked, in the plan and in any refusal; exit 2 only for missing values alone', () => {
    const keys = ['A', 'B', 'C', 'D'];
    fc.assert(
      fc.property(
        fc.tuple(...keys.map(() => declarationArb())),
        fc.subarray([...keys, 'Bogus']),
        fc.subarray(keys),
        (specs, given, allowedOnly) => {
          const declarations: ParameterDeclaration[] = [{ key: 'Version', type: 'String', noEcho: false }];
          specs.forEach((spec, index) => {
            if (!spec.declared) return;
            const key = keys[index]!;
            declarations.push({
              key,
              type: 'String',
              noEcho: spec.noEcho,
              ...(spec.withDefault ? { default: `default-${key}` } : {}),
              ...(spec.allowed ? { allowedValues: [`ok-${key}`] } : {}),
            });
          });
          const noEchoKeys = declarations.filter((d) => d.noEcho).map((d) => d.key);
          const values = Object.fromEntries(
            given.map((key) => [
              key,
              noEchoKeys.includes(key)
                ? `${SECRET_MARK}${allowedOnly.includes(key) ? `ok-${key}` : key}`
                : allowedOnly.includes(key)
                  ? `ok-${key}`
                  : `value-${key}`,
            ]),
          );
          const run = () =>
            planInstallParameters({
              rack: 'prod',
              version: '1.0.0',
              declarations,
              noEchoKeys,
              values,
              generated: new Map(),
              prompted: new Set(),
            });
          let planned: ReturnType<typeof run>;
          try {
            planned = run();
          } catch (error) {
            if (!isRackError(error)) throw error;
            expect(formatError(error)).not.toContain(SECRET_MARK);
            const missingOnly = error.details?.missing !== undefined;
            expect(error.exitCode).toBe(missingOnly ? 2 : 3);
            return;
          }
          expect(JSON.stringify({ shown: planned.shown, warnings: planned.warnings })).not.toContain(SECRET_MARK);
          expect(planned.shown.map((p) => p.key)).toEqual(declarations.map((d) => d.key));
          for (const p of planned.shown) {
            if (p.noEcho) expect(p.display).toBe('****');
            expect(p.source).toBe(p.key === 'Version' ? 'release' : p.key in values ? 'user' : 'default');
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
