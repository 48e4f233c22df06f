import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  UpdateStackCommand,
  type Parameter,
} from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type CorrectionName, type LocalAws } from '../../harness/localAws.js';
import { SECRET, STACK_TEMPLATE, STACK_TEMPLATE_V2 } from './stackTemplate.js';

/** Every parameter has a Default, so an update with no parameters at all is valid on AWS. */
const ALL_DEFAULTS_TEMPLATE = JSON.stringify({
  ...JSON.parse(STACK_TEMPLATE),
  Parameters: {
    Token: { Type: 'String', NoEcho: true, Default: 'initial-token' },
    Size: { Type: 'String', Default: 'small' },
    Zones: { Type: 'CommaDelimitedList', Default: 'a,b' },
  },
});
const DEFAULT_VALUES = { Token: 'initial-token', Size: 'small', Zones: 'a,b' };
const SET_VALUES = { Token: 'rotated-token', Size: 'large', Zones: 'x,y' };

// One corrected moto, and one per correction left out: the same call on both shows what each one fixes.
let corrected: LocalAws;
const plain = new Map<CorrectionName, LocalAws>();

beforeAll(async () => {
  const without: CorrectionName[] = ['noecho-mask', 'previous-defaults', 'parameter-strings', 'empty-parameters'];
  const started = await Promise.all([startLocalAws(), ...without.map((name) => startLocalAws({ without: [name] }))]);
  corrected = started[0]!;
  for (const [i, name] of without.entries()) plain.set(name, started[i + 1]!);
});

afterAll(async () => {
  await Promise.all([corrected, ...plain.values()].filter((aws) => aws !== undefined).map((aws) => aws.stop()));
});

function plainWithout(name: CorrectionName): LocalAws {
  const aws = plain.get(name);
  if (aws === undefined) throw new Error(`no emulator without ${name}`);
  return aws;
}

/** maxAttempts 1: a 500 from plain moto should fail at once, not be retried three times. */
function cloudFormation(aws: LocalAws): CloudFormationClient {
  return new CloudFormationClient({ ...aws.clientConfig(), maxAttempts: 1 });
}

async function createStack(aws: LocalAws, name: string, parameters: Parameter[] = []): Promise<void> {
  await cloudFormation(aws).send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: STACK_TEMPLATE,
      Parameters: [{ ParameterKey: 'Password', ParameterValue: SECRET }, ...parameters],
    }),
  );
}

async function describedParameters(aws: LocalAws, name: string): Promise<Record<string, string | undefined>> {
  const { Stacks } = await cloudFormation(aws).send(new DescribeStacksCommand({ StackName: name }));
  return Object.fromEntries((Stacks?.[0]?.Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]));
}

const keepEverything: Parameter[] = ['Password', 'Size', 'Zones'].map((key) => ({
  ParameterKey: key,
  UsePreviousValue: true,
}));

describe('noecho-mask', () => {
  it('DescribeStacks masks a NoEcho value as asterisks, as AWS does', async () => {
    await createStack(corrected, 'masked');
    expect(await describedParameters(corrected, 'masked')).toEqual({ Password: '****', Size: 'small', Zones: 'a,b' });
  });

  it('is needed: plain moto shows the NoEcho value in clear', async () => {
    const aws = plainWithout('noecho-mask');
    await createStack(aws, 'unmasked');
    expect((await describedParameters(aws, 'unmasked')).Password).toBe(SECRET);
  });

  it('DescribeChangeSet masks NoEcho values too; plain moto does not', async () => {
    for (const [aws, shown] of [
      [corrected, '****'],
      [plainWithout('noecho-mask'), SECRET],
    ] as const) {
      await createStack(aws, 'change-set-params');
      const client = cloudFormation(aws);
      await client.send(
        new CreateChangeSetCommand({
          StackName: 'change-set-params',
          ChangeSetName: 'preview',
          ChangeSetType: 'UPDATE',
          TemplateBody: STACK_TEMPLATE_V2,
          Parameters: keepEverything,
        }),
      );
      const changeSet = await client.send(
        new DescribeChangeSetCommand({ StackName: 'change-set-params', ChangeSetName: 'preview' }),
      );
      expect(changeSet.Parameters?.find((p) => p.ParameterKey === 'Password')?.ParameterValue).toBe(shown);
    }
  });
});

describe('previous-defaults', () => {
  it('UpdateStack with UsePreviousValue works on a parameter that took its default at create', async () => {
    await createStack(corrected, 'defaults-update');
    await cloudFormation(corrected).send(
      new UpdateStackCommand({
        StackName: 'defaults-update',
        TemplateBody: STACK_TEMPLATE_V2,
        Parameters: keepEverything,
      }),
    );
    expect(await corrected.stackParameters('defaults-update')).toEqual({
      Password: SECRET,
      Size: 'small',
      Zones: 'a,b',
    });
  });

  it('is needed: plain moto answers HTTP 500 for it', async () => {
    const aws = plainWithout('previous-defaults');
    await createStack(aws, 'defaults-update');
    const update = cloudFormation(aws).send(
      new UpdateStackCommand({
        StackName: 'defaults-update',
        TemplateBody: STACK_TEMPLATE_V2,
        Parameters: keepEverything,
      }),
    );
    await expect(update).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
  });

  it('CreateChangeSet (UPDATE) then ExecuteChangeSet keeps defaulted and passed values', async () => {
    await createStack(corrected, 'defaults-change-set', [{ ParameterKey: 'Size', ParameterValue: 'large' }]);
    const client = cloudFormation(corrected);
    await client.send(
      new CreateChangeSetCommand({
        StackName: 'defaults-change-set',
        ChangeSetName: 'keep',
        ChangeSetType: 'UPDATE',
        TemplateBody: STACK_TEMPLATE_V2,
        Parameters: keepEverything,
      }),
    );
    await client.send(new ExecuteChangeSetCommand({ StackName: 'defaults-change-set', ChangeSetName: 'keep' }));
    // Previous values after an executed change set come from what it stored, not from the create call.
    await client.send(
      new UpdateStackCommand({
        StackName: 'defaults-change-set',
        TemplateBody: STACK_TEMPLATE,
        Parameters: keepEverything,
      }),
    );
    expect(await corrected.stackParameters('defaults-change-set')).toEqual({
      Password: SECRET,
      Size: 'large',
      Zones: 'a,b',
    });
  });

  it('UsePreviousValue for a parameter the stack does not have is a ValidationError, not a 500', async () => {
    await createStack(corrected, 'unknown-previous');
    const update = cloudFormation(corrected).send(
      new UpdateStackCommand({
        StackName: 'unknown-previous',
        TemplateBody: STACK_TEMPLATE,
        Parameters: [...keepEverything, { ParameterKey: 'Missing', UsePreviousValue: true }],
      }),
    );
    await expect(update).rejects.toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
  });
});

describe('empty-parameters', () => {
  async function createAllDefaults(aws: LocalAws, name: string): Promise<void> {
    await cloudFormation(aws).send(
      new CreateStackCommand({
        StackName: name,
        TemplateBody: ALL_DEFAULTS_TEMPLATE,
        Parameters: Object.entries(SET_VALUES).map(([key, value]) => ({ ParameterKey: key, ParameterValue: value })),
      }),
    );
  }

  async function executeEmptyChangeSet(aws: LocalAws, name: string): Promise<void> {
    const client = cloudFormation(aws);
    await client.send(
      new CreateChangeSetCommand({
        StackName: name,
        ChangeSetName: 'empty',
        ChangeSetType: 'UPDATE',
        UsePreviousTemplate: true,
        Parameters: [],
      }),
    );
    const changeSet = await client.send(new DescribeChangeSetCommand({ StackName: name, ChangeSetName: 'empty' }));
    expect([changeSet.Status, changeSet.ExecutionStatus]).toEqual(['CREATE_COMPLETE', 'AVAILABLE']);
    await client.send(new ExecuteChangeSetCommand({ StackName: name, ChangeSetName: 'empty' }));
  }

  it('UpdateStack with an empty Parameters list reverts every parameter to its Default, UsePreviousTemplate too', async () => {
    await createAllDefaults(corrected, 'empty-update');
    await cloudFormation(corrected).send(
      new UpdateStackCommand({ StackName: 'empty-update', UsePreviousTemplate: true, Parameters: [] }),
    );
    expect(await corrected.stackParameters('empty-update')).toEqual(DEFAULT_VALUES);
    // Still masked: the reverted NoEcho value is a NoEcho value.
    expect((await describedParameters(corrected, 'empty-update')).Token).toBe('****');
  });

  it('is needed: plain moto keeps every previous value', async () => {
    const aws = plainWithout('empty-parameters');
    await createAllDefaults(aws, 'empty-update');
    await cloudFormation(aws).send(
      new UpdateStackCommand({ StackName: 'empty-update', UsePreviousTemplate: true, Parameters: [] }),
    );
    expect(await aws.stackParameters('empty-update')).toEqual(SET_VALUES);
  });

  it('an UPDATE change set with an empty list reverts them when executed; plain moto keeps them', async () => {
    for (const [aws, expected] of [
      [corrected, DEFAULT_VALUES],
      [plainWithout('empty-parameters'), SET_VALUES],
    ] as const) {
      await createAllDefaults(aws, 'empty-change-set');
      await executeEmptyChangeSet(aws, 'empty-change-set');
      expect(await aws.stackParameters('empty-change-set')).toEqual(expected);
    }
  });

  it('a parameter with no Default fails the call with AWS ValidationError, and nothing changes', async () => {
    await createStack(corrected, 'required-missing', [{ ParameterKey: 'Size', ParameterValue: 'large' }]);
    const client = cloudFormation(corrected);
    const mustHaveValues = { name: 'ValidationError', message: 'Parameters: [Password] must have values' };
    await expect(
      client.send(
        new UpdateStackCommand({ StackName: 'required-missing', TemplateBody: STACK_TEMPLATE_V2, Parameters: [] }),
      ),
    ).rejects.toMatchObject(mustHaveValues);
    await expect(
      client.send(
        new CreateChangeSetCommand({
          StackName: 'required-missing',
          ChangeSetName: 'empty',
          ChangeSetType: 'UPDATE',
          UsePreviousTemplate: true,
          Parameters: [],
        }),
      ),
    ).rejects.toMatchObject(mustHaveValues);
    // Missing from a longer list fails the same way, before anything is applied.
    await expect(
      client.send(
        new UpdateStackCommand({
          StackName: 'required-missing',
          TemplateBody: STACK_TEMPLATE_V2,
          Parameters: [{ ParameterKey: 'Size', UsePreviousValue: true }],
        }),
      ),
    ).rejects.toMatchObject(mustHaveValues);
    expect(await corrected.stackParameters('required-missing')).toEqual({
      Password: SECRET,
      Size: 'large',
      Zones: 'a,b',
    });
  });

  it('UsePreviousValue keeps working as before; what is left out of the list takes its Default', async () => {
    await createStack(corrected, 'partly-kept', [
      { ParameterKey: 'Size', ParameterValue: 'large' },
      { ParameterKey: 'Zones', ParameterValue: 'x,y' },
    ]);
    await cloudFormation(corrected).send(
      new UpdateStackCommand({
        StackName: 'partly-kept',
        TemplateBody: STACK_TEMPLATE_V2,
        Parameters: [
          { ParameterKey: 'Password', UsePreviousValue: true },
          { ParameterKey: 'Size', UsePreviousValue: true },
        ],
      }),
    );
    expect(await corrected.stackParameters('partly-kept')).toEqual({ Password: SECRET, Size: 'large', Zones: 'a,b' });
  });

  it('an empty list that changes nothing is "No updates are to be performed.", a FAILED change set', async () => {
    const client = cloudFormation(corrected);
    await client.send(new CreateStackCommand({ StackName: 'already-defaults', TemplateBody: ALL_DEFAULTS_TEMPLATE }));
    await expect(
      client.send(new UpdateStackCommand({ StackName: 'already-defaults', UsePreviousTemplate: true, Parameters: [] })),
    ).rejects.toMatchObject({ name: 'ValidationError', message: 'No updates are to be performed.' });
    await client.send(
      new CreateChangeSetCommand({
        StackName: 'already-defaults',
        ChangeSetName: 'nothing',
        ChangeSetType: 'UPDATE',
        UsePreviousTemplate: true,
        Parameters: [],
      }),
    );
    const changeSet = await client.send(
      new DescribeChangeSetCommand({ StackName: 'already-defaults', ChangeSetName: 'nothing' }),
    );
    expect([changeSet.Status, changeSet.ExecutionStatus]).toEqual(['FAILED', 'UNAVAILABLE']);
  });
});

describe('parameter-strings', () => {
  const zones: Parameter[] = [{ ParameterKey: 'Zones', ParameterValue: 'x,y' }];

  it('DescribeStacks shows a passed CommaDelimitedList as the string it was given', async () => {
    await createStack(corrected, 'list-param', zones);
    expect((await describedParameters(corrected, 'list-param')).Zones).toBe('x,y');
  });

  it("is needed: plain moto shows Python's repr of the list", async () => {
    const aws = plainWithout('parameter-strings');
    await createStack(aws, 'list-param', zones);
    expect((await describedParameters(aws, 'list-param')).Zones).toBe("['x', 'y']");
  });
});

describe('the stack-parameters side door', () => {
  it('returns the real value of a NoEcho parameter that DescribeStacks masks', async () => {
    await createStack(corrected, 'side-door');
    expect((await describedParameters(corrected, 'side-door')).Password).toBe('****');
    expect((await corrected.stackParameters('side-door')).Password).toBe(SECRET);
  });

  it('shows the outage: writing the mask back stores the literal asterisks', async () => {
    await createStack(corrected, 'written-back');
    await cloudFormation(corrected).send(
      new UpdateStackCommand({
        StackName: 'written-back',
        TemplateBody: STACK_TEMPLATE_V2,
        Parameters: [
          { ParameterKey: 'Password', ParameterValue: '****' },
          { ParameterKey: 'Size', UsePreviousValue: true },
          { ParameterKey: 'Zones', UsePreviousValue: true },
        ],
      }),
    );
    expect((await corrected.stackParameters('written-back')).Password).toBe('****');
  });

  it('refuses clearly for a stack that does not exist', async () => {
    await expect(corrected.stackParameters('no-such-stack')).rejects.toThrow(/no parameters for stack no-such-stack/);
  });
});
