import { describe, expect, it } from 'vitest';
import { isRackError, type RackError } from '../../../src/errors.js';
import { parseTemplateParameters } from '../../../src/core/template.js';
import {
  closestKey,
  hasChanges,
  parameterRefusal,
  planParameters,
  planParametersOrRefuse,
  type ParameterPlan,
  type ParameterPlanInput,
  type ParameterProblem,
  type StackParameter,
} from '../../../src/core/parameterPlan.js';

/** A rack template like the shipped ones, after LogRetention was renamed LogRetentionDays. */
const declarations = parseTemplateParameters(`
Parameters:
  Version:
    Type: String
    AllowedPattern: ^\\d+\\.\\d+\\.\\d+$
    ConstraintDescription: must be a semver version such as 1.0.0
  Key:
    Type: String
    Default: ""
  Password:
    Type: String
    NoEcho: true
    MinLength: 8
    MaxLength: 64
    AllowedPattern: ^[!-~]+$
    ConstraintDescription: 8 to 64 printable characters, no spaces
  InstanceCount:
    Type: Number
    Default: 3
    MinValue: 1
    MaxValue: 20
  InstanceType:
    Type: String
    Default: t3.small
    AllowedValues: [t3.small, t3.medium, t3.large]
  LogRetentionDays:
    Type: Number
    Default: 7
    AllowedValues: [1, 3, 7, 14, 30]
`);

/** The stack as 1.1.0 left it; the API masks Password. */
const stack: StackParameter[] = [
  { key: 'Version', value: '1.1.0' },
  { key: 'Key', value: '' },
  { key: 'Password', value: '****' },
  { key: 'InstanceCount', value: '3' },
  { key: 'InstanceType', value: 't3.small' },
  { key: 'LogRetention', value: '14' },
];

function plan(overrides: Partial<ParameterPlanInput> = {}) {
  return planParameters({ declarations, stack, noEchoKeys: ['Password'], ...overrides });
}

function planned(overrides: Partial<ParameterPlanInput> = {}): ParameterPlan {
  const result = plan(overrides);
  if (!result.ok)
    throw new Error(`expected a plan, got problems:\n${result.problems.map((p) => p.message).join('\n')}`);
  return result;
}

function problems(overrides: Partial<ParameterPlanInput> = {}): ParameterProblem[] {
  const result = plan(overrides);
  if (result.ok) throw new Error('expected a refusal');
  return result.problems;
}

function messages(overrides: Partial<ParameterPlanInput> = {}): string[] {
  return problems(overrides).map((p) => p.message);
}

const previous = (key: string) => ({ ParameterKey: key, UsePreviousValue: true });
const value = (key: string, v: string) => ({ ParameterKey: key, ParameterValue: v });

describe('the parameter list for CloudFormation', () => {
  it('sends a changed key as a ParameterValue and every other key the stack has as UsePreviousValue', () => {
    expect(planned({ userChanges: { InstanceType: 't3.large' } }).parameters).toEqual([
      previous('Version'),
      previous('Key'),
      previous('Password'),
      previous('InstanceCount'),
      value('InstanceType', 't3.large'),
    ]);
  });

  it('sends nothing for a key new to the stack whose default applies', () => {
    const result = planned();
    expect(result.parameters.map((p) => p.ParameterKey)).not.toContain('LogRetentionDays');
    expect(result.changes.find((c) => c.key === 'LogRetentionDays')).toEqual({
      key: 'LogRetentionDays',
      kind: 'new-default',
      source: 'default',
      noEcho: false,
      displayNew: '7',
    });
  });

  it('sends a ParameterValue for a key new to the stack when the user gives one', () => {
    expect(planned({ userChanges: { LogRetentionDays: '30' } }).parameters).toContainEqual(
      value('LogRetentionDays', '30'),
    );
  });

  it('refuses a key new to the stack without a value and without a default', () => {
    const stackWithoutVersion = stack.filter((p) => p.key !== 'Version');
    expect(problems({ stack: stackWithoutVersion })).toEqual([
      {
        key: 'Version',
        kind: 'missing-value',
        message: 'Version: it is new in the target template and has no default. Pass Version=<value>.',
      },
    ]);
  });

  it('drops a key the target template no longer declares, and reports it removed', () => {
    const result = planned();
    expect(result.parameters.map((p) => p.ParameterKey)).not.toContain('LogRetention');
    expect(result.changes.at(-1)).toEqual({
      key: 'LogRetention',
      kind: 'removed',
      source: 'template',
      noEcho: false,
      displayOld: '14',
    });
  });

  it('lists parameters in declaration order, whatever order the changes and the stack come in', () => {
    const result = planned({
      stack: [...stack].reverse(),
      userChanges: { LogRetentionDays: '1', InstanceCount: '5', Key: 'ops' },
    });
    expect(result.parameters.map((p) => p.ParameterKey)).toEqual([
      'Version',
      'Key',
      'Password',
      'InstanceCount',
      'InstanceType',
      'LogRetentionDays',
    ]);
  });

  it('gives the same plan for the same input', () => {
    const input = { userChanges: { InstanceCount: '5', Password: 'new-password-1' } };
    expect(plan(input)).toEqual(plan(input));
  });

  it('plans a new stack (rack install) with values and defaults only, never UsePreviousValue', () => {
    expect(planned({ stack: [], userChanges: { Version: '1.2.0', Password: 'correct-horse' } }).parameters).toEqual([
      value('Version', '1.2.0'),
      value('Password', 'correct-horse'),
    ]);
  });
});

describe('keeping a plain value the user sets to what it already is', () => {
  it('uses UsePreviousValue and calls it a keep', () => {
    const result = planned({ userChanges: { InstanceType: 't3.small' } });
    expect(result.parameters).toContainEqual(previous('InstanceType'));
    expect(result.changes.find((c) => c.key === 'InstanceType')).toEqual({
      key: 'InstanceType',
      kind: 'keep',
      source: 'user',
      noEcho: false,
      displayOld: 't3.small',
      displayNew: 't3.small',
    });
  });

  it('still sends a NoEcho value, which cannot be compared', () => {
    expect(planned({ userChanges: { Password: 'same-as-before?' } }).parameters).toContainEqual(
      value('Password', 'same-as-before?'),
    );
  });
});

describe('hasChanges', () => {
  const sameTemplate = {
    stack: stack.filter((p) => p.key !== 'LogRetention').concat({ key: 'LogRetentionDays', value: '7' }),
  };

  it('is false when every parameter is kept', () => {
    expect(hasChanges(planned(sameTemplate))).toBe(false);
    expect(hasChanges(planned({ ...sameTemplate, userChanges: { InstanceCount: '3' } }))).toBe(false);
  });

  it('is true when a value is set, a default applies or a key is removed', () => {
    expect(hasChanges(planned({ ...sameTemplate, userChanges: { InstanceCount: '4' } }))).toBe(true);
    expect(hasChanges(planned({ ...sameTemplate, stack: sameTemplate.stack.filter((p) => p.key !== 'Key') }))).toBe(
      true,
    );
    expect(hasChanges(planned({ ...sameTemplate, stack: [...sameTemplate.stack, { key: 'Old', value: 'x' }] }))).toBe(
      true,
    );
  });
});

describe('NoEcho values', () => {
  it.each(['*', '****', '********'])('refuses %j for a NoEcho key', (masked) => {
    expect(problems({ userChanges: { Password: masked } })).toEqual([
      {
        key: 'Password',
        kind: 'masked-value',
        message:
          'Password: the value is only asterisks, which is how CloudFormation masks a secret, not the secret itself. ' +
          'Pass the real value, or leave Password out to keep its current value.',
      },
    ]);
  });

  it('accepts asterisks among other characters in a NoEcho value', () => {
    expect(planned({ userChanges: { Password: '**secret**' } }).parameters).toContainEqual(
      value('Password', '**secret**'),
    );
  });

  it('accepts asterisks for a plain key, where they are an ordinary value', () => {
    const motd = [...declarations, { key: 'Motd', type: 'String', noEcho: false, default: '' }];
    expect(planned({ declarations: motd, userChanges: { Motd: '****' } }).parameters).toContainEqual(
      value('Motd', '****'),
    );
  });

  it('treats a key NoEcho in the current template as secret even when the target template does not', () => {
    const target = declarations.map((d) => (d.key === 'Password' ? { ...d, noEcho: false } : d));
    expect(problems({ declarations: target, userChanges: { Password: '****' } })[0]?.kind).toBe('masked-value');
  });

  it('treats a key whose stack value came back masked as secret, even when nobody said it was NoEcho', () => {
    const result = planned({ noEchoKeys: [], declarations: declarations.map((d) => ({ ...d, noEcho: false })) });
    expect(result.changes.find((c) => c.key === 'Password')).toMatchObject({
      noEcho: true,
      displayOld: '****',
      displayNew: '(unchanged)',
    });
  });

  it('refuses a NoEcho value that breaks a constraint without repeating it', () => {
    expect(messages({ userChanges: { Password: 'short' } })).toEqual([
      'Password: the value is shorter than 8 characters (MinLength) (8 to 64 printable characters, no spaces).',
    ]);
    expect(messages({ userChanges: { Password: 'has spaces in it' } })).toEqual([
      'Password: the value does not match the pattern ^[!-~]+$ (AllowedPattern) (8 to 64 printable characters, no spaces).',
    ]);
  });

  it('shows a NoEcho change only as masked and "(new value)"', () => {
    expect(planned({ userChanges: { Password: 'correct-horse' } }).changes.find((c) => c.key === 'Password')).toEqual({
      key: 'Password',
      kind: 'set',
      source: 'user',
      noEcho: true,
      displayOld: '****',
      displayNew: '(new value)',
    });
  });

  it('shows a NoEcho default as "(default)"', () => {
    const token = [...declarations, { key: 'Token', type: 'String', noEcho: true, default: 'template-default' }];
    expect(planned({ declarations: token }).changes.find((c) => c.key === 'Token')).toEqual({
      key: 'Token',
      kind: 'new-default',
      source: 'default',
      noEcho: true,
      displayNew: '(default)',
    });
  });

  describe('a secret the API returned in clear (a misbehaving endpoint) is never read', () => {
    const leaked = 'leaked-clear-secret-42';
    const leakyStack = stack
      .map((p) => (p.key === 'Password' ? { ...p, value: leaked } : p))
      .concat({ key: 'OldToken', value: leaked });
    const secrets = ['Password', 'OldToken'];

    it('keeps it with UsePreviousValue, and shows it masked', () => {
      const result = planned({ stack: leakyStack, noEchoKeys: secrets });
      expect(result.parameters).toContainEqual(previous('Password'));
      expect(JSON.stringify(result)).not.toContain(leaked);
      expect(result.changes.find((c) => c.key === 'OldToken')).toMatchObject({ kind: 'removed', displayOld: '****' });
    });

    it('does not treat a new value equal to it as unchanged', () => {
      const result = planned({ stack: leakyStack, noEchoKeys: secrets, userChanges: { Password: 'a-new-password' } });
      expect(result.parameters).toContainEqual(value('Password', 'a-new-password'));
    });

    it('keeps it out of a refusal', () => {
      const result = plan({ stack: leakyStack, noEchoKeys: secrets, userChanges: { Pasword: 'x', Password: '*' } });
      expect(result.ok).toBe(false);
      expect(JSON.stringify(result)).not.toContain(leaked);
    });

    it('does not copy it through a rename', () => {
      const target = [...declarations, { key: 'ApiToken', type: 'String', noEcho: true }];
      const result = plan({
        declarations: target,
        stack: leakyStack,
        noEchoKeys: secrets,
        migrationChanges: { rename: [{ from: 'OldToken', to: 'ApiToken' }] },
      });
      expect(JSON.stringify(result)).not.toContain(leaked);
      expect(result.ok).toBe(false);
    });
  });
});

describe('values that break the target template', () => {
  it.each([
    [{ InstanceCount: 'abc' }, 'InstanceCount: "abc" is not a number (Type Number).'],
    [{ InstanceCount: '0' }, 'InstanceCount: "0" is below the minimum 1 (MinValue).'],
    [{ InstanceCount: '21' }, 'InstanceCount: "21" is above the maximum 20 (MaxValue).'],
    [
      { InstanceType: 't9.huge' },
      'InstanceType: "t9.huge" is not one of the allowed values: "t3.small", "t3.medium", "t3.large".',
    ],
    [
      { Version: 'latest' },
      'Version: "latest" does not match the pattern ^\\d+\\.\\d+\\.\\d+$ (AllowedPattern) (must be a semver version such as 1.0.0).',
    ],
  ])('refuses %j', (userChanges, message) => {
    expect(problems({ userChanges })).toEqual([{ key: Object.keys(userChanges)[0], kind: 'invalid-value', message }]);
  });

  it('refuses a kept value the target template no longer allows, naming it as the current value', () => {
    const narrower = declarations.map((d) => (d.key === 'InstanceType' ? { ...d, allowedValues: ['m6i.large'] } : d));
    expect(messages({ declarations: narrower })).toEqual([
      'InstanceType: the current value "t3.small" is not one of the allowed values: "m6i.large"; the target template does not allow it. Pass InstanceType=<value>.',
    ]);
    expect(planned({ declarations: narrower, userChanges: { InstanceType: 'm6i.large' } }).parameters).toContainEqual(
      value('InstanceType', 'm6i.large'),
    );
  });

  it('warns about a pattern it cannot check, instead of refusing', () => {
    const javaOnly = declarations.map((d) => (d.key === 'Key' ? { ...d, allowedPattern: '\\p{Alnum}*' } : d));
    expect(planned({ declarations: javaOnly, userChanges: { Key: 'ops key' } }).warnings).toEqual([
      'the AllowedPattern of Key (\\p{Alnum}*) cannot be checked before the update; CloudFormation will check it',
    ]);
  });
});

describe('unknown keys', () => {
  it('suggests the key with the same letters in another case first', () => {
    expect(messages({ userChanges: { instancetype: 't3.large' } })).toEqual([
      'Unknown parameter instancetype: the target template does not declare it. Did you mean InstanceType?',
    ]);
  });

  it('suggests a near spelling', () => {
    expect(messages({ userChanges: { InstanceTyp: 't3.large' } })).toEqual([
      'Unknown parameter InstanceTyp: the target template does not declare it. Did you mean InstanceType?',
    ]);
  });

  it('suggests nothing when no key is close', () => {
    expect(messages({ userChanges: { Foo: 'bar' } })).toEqual([
      'Unknown parameter Foo: the target template does not declare it.',
    ]);
  });

  it('says when the stack has the key but the target template dropped it', () => {
    expect(messages({ userChanges: { LogRetention: '30' } })).toEqual([
      'Unknown parameter LogRetention: the target template does not declare it. The stack has it, but the target template no longer does. Did you mean LogRetentionDays?',
    ]);
  });

  it('never repeats the value given for an unknown key', () => {
    expect(JSON.stringify(problems({ userChanges: { Passwrd: 'my-secret-value' } }))).not.toContain('my-secret-value');
  });
});

describe('closestKey', () => {
  it('prefers the nearest spelling and, among equals, the first declared', () => {
    expect(closestKey('Keyy', ['Key', 'Keys'])).toBe('Key');
    expect(closestKey('Ab', ['Ac', 'Ad'])).toBe('Ac');
  });

  it('tolerates more mistakes in longer keys', () => {
    expect(closestKey('InstanseCout', ['InstanceCount'])).toBe('InstanceCount');
    expect(closestKey('Zz', ['Key'])).toBeUndefined();
  });
});

describe('every problem at once', () => {
  it('lists unknown keys first, then each parameter in declaration order', () => {
    expect(
      problems({
        userChanges: { Password: '****', Bogus: '1', InstanceCount: 'many', InstanceType: 't9' },
        stack: stack.filter((p) => p.key !== 'Version'),
      }).map((p) => [p.key, p.kind]),
    ).toEqual([
      ['Bogus', 'unknown-key'],
      ['Version', 'missing-value'],
      ['Password', 'masked-value'],
      ['InstanceCount', 'invalid-value'],
      ['InstanceType', 'invalid-value'],
    ]);
  });
});

describe('migration changes', () => {
  it('uses a value a migration sets', () => {
    expect(
      planned({ migrationChanges: { set: { LogRetentionDays: '14' } } }).changes.find(
        (c) => c.key === 'LogRetentionDays',
      ),
    ).toEqual({ key: 'LogRetentionDays', kind: 'set', source: 'migration', noEcho: false, displayNew: '14' });
  });

  it('lets the user override a value a migration sets', () => {
    expect(
      planned({ migrationChanges: { set: { LogRetentionDays: '14' } }, userChanges: { LogRetentionDays: '30' } })
        .parameters,
    ).toContainEqual(value('LogRetentionDays', '30'));
  });

  it('refuses an invalid value a migration sets, saying the migration set it', () => {
    expect(messages({ migrationChanges: { set: { LogRetentionDays: '10' } } })).toEqual([
      'LogRetentionDays (set by a migration): "10" is not one of the allowed values: "1", "3", "7", "14", "30".',
    ]);
  });

  it('reports a key the migration removes as removed by the migration', () => {
    expect(planned({ migrationChanges: { remove: ['LogRetention'] } }).changes.at(-1)).toMatchObject({
      key: 'LogRetention',
      kind: 'removed',
      source: 'migration',
    });
  });

  it('refuses a migration that does not fit the target template', () => {
    expect(
      problems({
        migrationChanges: {
          set: { Nope: '1' },
          remove: ['InstanceType'],
          rename: [{ from: 'LogRetention', to: 'LogDays' }],
        },
      }),
    ).toEqual([
      {
        key: 'Nope',
        kind: 'migration-conflict',
        message: 'Nope: a migration sets it, but the target template does not declare it.',
      },
      {
        key: 'InstanceType',
        kind: 'migration-conflict',
        message: 'InstanceType: a migration removes it, but the target template still declares it.',
      },
      {
        key: 'LogDays',
        kind: 'migration-conflict',
        message: 'LogDays: a migration renames LogRetention to it, but the target template does not declare it.',
      },
    ]);
  });

  describe('renames', () => {
    const rename = { rename: [{ from: 'LogRetention', to: 'LogRetentionDays' }] };

    it('carries a plain value over to the new key', () => {
      const result = planned({ migrationChanges: rename });
      expect(result.parameters).toContainEqual(value('LogRetentionDays', '14'));
      expect(result.changes.find((c) => c.key === 'LogRetentionDays')).toMatchObject({
        kind: 'set',
        source: 'rename',
        displayNew: '14',
      });
      expect(result.changes.at(-1)).toMatchObject({ key: 'LogRetention', kind: 'removed', source: 'migration' });
    });

    it('keeps the new key when the stack already has it', () => {
      const renamed = [...stack, { key: 'LogRetentionDays', value: '3' }];
      expect(planned({ stack: renamed, migrationChanges: rename }).parameters).toContainEqual(
        previous('LogRetentionDays'),
      );
    });

    it('refuses to carry over a NoEcho value it cannot read, unless the user gives it', () => {
      const target = declarations.map((d) => (d.key === 'Password' ? { ...d, key: 'ApiPassword' } : d));
      const migrationChanges = { rename: [{ from: 'Password', to: 'ApiPassword' }] };
      expect(problems({ declarations: target, migrationChanges })).toEqual([
        {
          key: 'ApiPassword',
          kind: 'unrecoverable',
          message:
            'ApiPassword: its value cannot be recovered (a migration renames Password to ApiPassword, and Password is NoEcho, so its value cannot be read back). Pass ApiPassword=<value>.',
        },
      ]);
      expect(
        planned({ declarations: target, migrationChanges, userChanges: { ApiPassword: 'given-again' } }).parameters,
      ).toContainEqual(value('ApiPassword', 'given-again'));
    });

    it('refuses when the stack did not return the old value', () => {
      const silent = stack.map((p) => (p.key === 'LogRetention' ? { key: p.key } : p));
      expect(problems({ stack: silent, migrationChanges: rename })[0]).toMatchObject({
        key: 'LogRetentionDays',
        kind: 'unrecoverable',
      });
    });
  });
});

describe('unrecoverable NoEcho values', () => {
  const unrecoverable = [{ key: 'Password', reason: 'the 1.3.0 migration removed it' }];

  it('refuses with the reason, even when the key is on the stack or has a default', () => {
    expect(messages({ unrecoverable })).toEqual([
      'Password: its value cannot be recovered (the 1.3.0 migration removed it). Pass Password=<value>.',
    ]);
    const withDefault = declarations.map((d) => (d.key === 'Password' ? { ...d, default: 'changeme1' } : d));
    expect(
      problems({ unrecoverable, declarations: withDefault, stack: stack.filter((p) => p.key !== 'Password') })[0]?.kind,
    ).toBe('unrecoverable');
  });

  it('accepts the value from the user', () => {
    expect(planned({ unrecoverable, userChanges: { Password: 'given-again' } }).parameters).toContainEqual(
      value('Password', 'given-again'),
    );
  });

  it('is not stood in for by a value a rename would carry', () => {
    const lost = [{ key: 'LogRetentionDays', reason: 'the 1.3.0 migration removed it' }];
    const rename = { rename: [{ from: 'LogRetention', to: 'LogRetentionDays' }] };
    expect(problems({ unrecoverable: lost, migrationChanges: rename })).toEqual([
      expect.objectContaining({ key: 'LogRetentionDays', kind: 'unrecoverable' }),
    ]);
  });
});

describe('parameterRefusal', () => {
  function refusalOf(found: ParameterProblem[]): RackError {
    const error = parameterRefusal(found);
    expect(isRackError(error)).toBe(true);
    return error;
  }

  it('refuses (exit 3) with one line per problem, nothing written', () => {
    const error = refusalOf(problems({ userChanges: { InstanceCount: 'abc', Key: '', Bogus: 'x' } }));
    expect(error.kind).toBe('refused');
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe('The parameters were refused (2 problems).');
    expect(error.problems).toEqual([
      'Unknown parameter Bogus: the target template does not declare it.',
      'InstanceCount: "abc" is not a number (Type Number).',
    ]);
    expect(error.untouched).toBe('Nothing was written to the stack.');
    expect(error.next).toBe('Correct the parameters and run the command again.');
    expect(error.details).toEqual({
      problems: [
        { key: 'Bogus', kind: 'unknown-key' },
        { key: 'InstanceCount', kind: 'invalid-value' },
      ],
    });
  });

  it('says "1 problem" for one', () => {
    expect(refusalOf(problems({ userChanges: { Bogus: 'x' } })).message).toBe(
      'The parameters were refused (1 problem).',
    );
  });
});

describe('planParametersOrRefuse', () => {
  it('returns the plan when there is no problem', () => {
    expect(planParametersOrRefuse({ declarations, stack, noEchoKeys: [] }).ok).toBe(true);
  });

  it('throws the refusal when there is one', () => {
    expect(() => planParametersOrRefuse({ declarations, stack, noEchoKeys: [], userChanges: { Bogus: '1' } })).toThrow(
      'The parameters were refused (1 problem).',
    );
  });
});
