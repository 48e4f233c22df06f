/**
 * The rack templates the channels ship: each passes cfn-lint, deploys on the local AWS, meets the rack
 * template contract, and the release path updates one rack from the first release to the last.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  waitUntilChangeSetCreateComplete,
  waitUntilStackCreateComplete,
  waitUntilStackUpdateComplete,
  type Parameter,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { GetBucketEncryptionCommand, S3Client } from '@aws-sdk/client-s3';
import { compare } from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTemplate, type RackTemplate } from '../../../src/core/template.js';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { templateArgument } from '../../harness/rackStacks.js';

const TEMPLATES_DIR = fileURLToPath(new URL('../../../channels/templates/', import.meta.url));
const TEMPLATE_FILE = /^rack-(\d+\.\d+\.\d+)\.yaml$/;

interface Release {
  version: string;
  file: string;
  body: string;
  template: RackTemplate;
}

const releases: Release[] = readdirSync(TEMPLATES_DIR)
  .flatMap((file) => {
    const version = TEMPLATE_FILE.exec(file)?.[1];
    if (version === undefined) return [];
    const body = readFileSync(`${TEMPLATES_DIR}${file}`, 'utf8');
    return [{ version, file, body, template: parseTemplate(body, file) }];
  })
  .sort((a, b) => compare(a.version, b.version));

/** Values for the rack's own parameters; each release is given those it declares. */
const rackValues: Record<string, string> = {
  Password: secret(12),
  WebhookSecret: secret(20),
  InstanceCount: '2',
  InstanceType: 't3.medium',
  // The 1.2.0 migration renames LogRetention to LogRetentionDays and carries the value over.
  LogRetention: '14',
  LogRetentionDays: '14',
};

function secret(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function parametersFor(release: Release): Parameter[] {
  return release.template.parameters.flatMap(({ key }): Parameter[] => {
    const value = key === 'Version' ? release.version : rackValues[key];
    return value === undefined ? [] : [{ ParameterKey: key, ParameterValue: value }];
  });
}

interface LintResult {
  code: number;
  output: string;
}

/** One cfn-lint run over every template: it takes seconds to start, so it runs while moto starts. */
function lintTemplates(): Promise<LintResult> {
  const files = releases.map((r) => `${TEMPLATES_DIR}${r.file}`);
  return new Promise((resolve) => {
    execFile('cfn-lint', ['--format', 'parseable', '--', ...files], (error, stdout, stderr) => {
      // A cfn-lint that cannot run at all (not installed) fails the test with its reason.
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, output: code === -1 ? String(error?.message) : `${stdout}${stderr}` });
    });
  });
}

function output(stack: Stack, key: string): string | undefined {
  return stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
}

function stackName(version: string): string {
  return `rack-${version.replaceAll('.', '-')}`;
}

let lint: Promise<LintResult>;
let aws: LocalAws;
let cloudFormation: CloudFormationClient;
let s3: S3Client;

beforeAll(async () => {
  lint = lintTemplates();
  aws = await startLocalAws();
  cloudFormation = new CloudFormationClient(aws.clientConfig());
  s3 = new S3Client({ ...aws.clientConfig(), forcePathStyle: true });
});

afterAll(async () => {
  cloudFormation?.destroy();
  s3?.destroy();
  await aws?.stop();
});

describe('the release templates', () => {
  it('are the seven releases of the release plan', () => {
    expect(releases.map((r) => r.version)).toEqual(['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.3.1', '1.4.0', '2.0.0']);
  });

  it('include a production-size release, too large to pass inline, small enough for S3', () => {
    const bytes = Buffer.byteLength(releases.find((r) => r.version === '2.0.0')!.body);
    expect(bytes).toBeGreaterThan(51_200);
    expect(bytes).toBeLessThanOrEqual(1_000_000);
  });

  it('pass cfn-lint without errors or warnings', async () => {
    const result = await lint;
    // cfn-lint's exit code is a bit set: 2 errors, 4 warnings (8, informational, is off by default).
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it.each(releases.map((r) => [r.version, r] as const))('%s declares what the release plan needs', (_, release) => {
    const { parameters, resources, outputs } = release.template;
    const byKey = new Map(parameters.map((p) => [p.key, p]));
    expect(release.body).toMatch(new RegExp(`^Description: rack ${release.version.replaceAll('.', '\\.')} `, 'm'));
    expect(byKey.get('Version')?.default).toBeUndefined();
    expect(byKey.get('Key')).toMatchObject({ type: 'String', default: '', noEcho: false });
    expect(byKey.get('Password')).toMatchObject({ noEcho: true, minLength: 8 });
    expect(outputs).toEqual(expect.arrayContaining(['SettingsBucket', 'EncryptionKey']));
    const groups = resources.filter((r) => r.type === 'AWS::AutoScaling::AutoScalingGroup');
    expect(groups).toHaveLength(1);
    // rack replaces instances itself, draining each first; CloudFormation's policies would not drain.
    expect(groups[0]?.updatePolicy).toBeUndefined();
    expect(resources.filter((r) => r.type === 'AWS::ECS::Cluster')).toHaveLength(1);
  });

  it('add, rename and add a secret where the release plan says', () => {
    const keys = (version: string) =>
      releases.find((r) => r.version === version)?.template.parameters.map((p) => p.key);
    expect(keys('1.0.0')).toEqual(['Version', 'Key', 'Password', 'InstanceCount', 'InstanceType']);
    expect(keys('1.1.0')).toContain('LogRetention');
    expect(keys('1.2.0')).toContain('LogRetentionDays');
    expect(keys('1.2.0')).not.toContain('LogRetention');
    const webhook = releases
      .find((r) => r.version === '1.4.0')
      ?.template.parameters.find((p) => p.key === 'WebhookSecret');
    // No default: the 1.4.0 migration must generate it.
    expect(webhook).toMatchObject({ noEcho: true, minLength: 16 });
    expect(webhook?.default).toBeUndefined();
    for (const release of releases.filter((r) => compare(r.version, '1.4.0') < 0)) {
      expect(keys(release.version)).not.toContain('WebhookSecret');
    }
  });
});

describe('the release templates on the local AWS', () => {
  async function describeStack(name: string): Promise<Stack> {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: name }));
    const stack = Stacks?.[0];
    if (stack === undefined) throw new Error(`stack ${name} not found`);
    return stack;
  }

  /** What rack relies on, found as rack finds it: outputs, and resources by type. */
  async function contractOf(name: string) {
    const stack = await describeStack(name);
    const { StackResources } = await cloudFormation.send(new DescribeStackResourcesCommand({ StackName: name }));
    const ofType = (type: string) =>
      (StackResources ?? []).filter((r) => r.ResourceType === type).map((r) => r.PhysicalResourceId);
    return {
      status: stack.StackStatus,
      settingsBucket: output(stack, 'SettingsBucket'),
      encryptionKey: output(stack, 'EncryptionKey'),
      groups: ofType('AWS::AutoScaling::AutoScalingGroup'),
      clusters: ofType('AWS::ECS::Cluster'),
    };
  }

  it.each(releases.map((r) => [r.version, r] as const))(
    '%s creates a rack that meets the contract',
    async (_, release) => {
      const name = stackName(release.version);
      await cloudFormation.send(
        new CreateStackCommand({
          StackName: name,
          ...(await templateArgument(aws, release.body)),
          Parameters: parametersFor(release),
          Capabilities: ['CAPABILITY_IAM'],
        }),
      );
      await waitUntilStackCreateComplete({ client: cloudFormation, maxWaitTime: 30, minDelay: 1 }, { StackName: name });

      const contract = await contractOf(name);
      expect(contract.status).toBe('CREATE_COMPLETE');
      expect(contract.groups).toHaveLength(1);
      expect(contract.clusters).toHaveLength(1);
      expect(contract.settingsBucket).toMatch(/\S/);
      expect(contract.encryptionKey).toMatch(/^arn:aws:kms:/);

      const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: contract.settingsBucket }));
      const rule = encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
      expect(rule).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: contract.encryptionKey });
    },
  );

  it('updates one rack along every release, keeping its bucket, key, group and cluster', async () => {
    const [first, ...rest] = releases;
    if (first === undefined) throw new Error('no releases');
    const name = 'rack-path';
    await cloudFormation.send(
      new CreateStackCommand({
        StackName: name,
        ...(await templateArgument(aws, first.body)),
        Parameters: parametersFor(first),
        Capabilities: ['CAPABILITY_IAM'],
      }),
    );
    await waitUntilStackCreateComplete({ client: cloudFormation, maxWaitTime: 30, minDelay: 1 }, { StackName: name });
    const created = await contractOf(name);

    for (const release of rest) {
      const changeSetName = `to-${release.version.replaceAll('.', '-')}`;
      await cloudFormation.send(
        new CreateChangeSetCommand({
          StackName: name,
          ChangeSetName: changeSetName,
          // Explicit: moto reads a missing ChangeSetType as CREATE (aws-local.md).
          ChangeSetType: 'UPDATE',
          ...(await templateArgument(aws, release.body)),
          Parameters: parametersFor(release),
          Capabilities: ['CAPABILITY_IAM'],
        }),
      );
      await waitUntilChangeSetCreateComplete(
        { client: cloudFormation, maxWaitTime: 30, minDelay: 1 },
        { StackName: name, ChangeSetName: changeSetName },
      );
      await cloudFormation.send(new ExecuteChangeSetCommand({ StackName: name, ChangeSetName: changeSetName }));
      await waitUntilStackUpdateComplete({ client: cloudFormation, maxWaitTime: 30, minDelay: 1 }, { StackName: name });

      const updated = await contractOf(name);
      expect({ release: release.version, ...updated }).toEqual({
        release: release.version,
        ...created,
        status: 'UPDATE_COMPLETE',
      });
      const version = (await describeStack(name)).Parameters?.find((p) => p.ParameterKey === 'Version')?.ParameterValue;
      expect(version).toBe(release.version);
    }
  });
});
