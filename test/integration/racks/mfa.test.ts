/**
 * Credentials from the SDK's default chain: a profile that assumes a role with MFA asks for the code on a
 * terminal. The chain reads the process environment (as it does for every AWS tool), so this test points
 * it at a config file of its own for the duration.
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { runRack, tempHome } from '../../harness/runRack.js';

let aws: LocalAws;
const saved = { ...process.env };
beforeAll(async () => {
  aws = await startLocalAws();
  await new CloudFormationClient(aws.clientConfig()).send(
    new CreateStackCommand({
      StackName: 'mfa-stack',
      TemplateBody: JSON.stringify({
        Parameters: { Version: { Type: 'String' } },
        Resources: { B: { Type: 'AWS::S3::Bucket' } },
      }),
      Parameters: [{ ParameterKey: 'Version', ParameterValue: '1.3.1' }],
    }),
  );
});
afterAll(async () => {
  process.env = saved;
  await aws?.stop();
});

it('asks for the MFA code of a profile that assumes a role, on a terminal', async () => {
  const home = tempHome();
  const config = path.join(home, 'aws-config');
  writeFileSync(
    config,
    [
      '[profile base]',
      `aws_access_key_id = ${aws.credentials.accessKeyId}`,
      `aws_secret_access_key = ${aws.credentials.secretAccessKey}`,
      '[profile operator]',
      'role_arn = arn:aws:iam::123456789012:role/rack-admin',
      'source_profile = base',
      'mfa_serial = arn:aws:iam::123456789012:mfa/operator',
      '',
    ].join('\n'),
  );
  const env = {
    HOME: home,
    RACK_HOME: home,
    AWS_REGION: aws.region,
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
  Object.assign(process.env, env);

  const asked: string[] = [];
  const result = await runRack(['racks', 'add', 'prod', '--stack', 'mfa-stack', '--profile', 'operator'], {
    env,
    tty: true,
    prompts: {
      confirm: async () => true,
      text: async (question) => {
        asked.push(question);
        return '123456';
      },
    },
  });
  expect(result.code, result.stderr).toBe(0);
  expect(asked).toEqual(['MFA code for arn:aws:iam::123456789012:mfa/operator: ']);
  expect(aws.proxy.requests.map((r) => r.action)).toContain('AssumeRole');
  expect(result.stdout).toContain('Registered rack prod');
});
