/** Shared setup for the install and uninstall tests: channel copies, request capture, state reads. */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LocalAws } from '../../harness/localAws.js';
import { repoRoot } from '../../harness/runRack.js';

/**
 * A copy of the shipped channels and migrations, side by side as a source needs them; `change` edits the
 * template of one release. With `fixDigest` the catalog is updated to the new digest (a republished
 * release), without it the template no longer matches (a tampered one).
 */
export function channelsCopy(
  options: { version?: string; change?: (body: string) => string; fixDigest?: boolean } = {},
): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'rack-channels-'));
  cpSync(path.join(repoRoot, 'channels'), path.join(root, 'channels'), { recursive: true });
  cpSync(path.join(repoRoot, 'migrations'), path.join(root, 'migrations'), { recursive: true });
  if (options.version && options.change) {
    const file = path.join(root, 'channels', 'templates', `rack-${options.version}.yaml`);
    const before = readFileSync(file, 'utf8');
    const after = options.change(before);
    writeFileSync(file, after);
    if (options.fixDigest) {
      const catalog = path.join(root, 'channels', 'catalog.yaml');
      const digest = (text: string) => createHash('sha256').update(text).digest('hex');
      writeFileSync(catalog, readFileSync(catalog, 'utf8').replace(digest(before), digest(after)));
    }
  }
  return path.join(root, 'channels');
}

/** Records the body of the next CloudFormation call of this action, as the proxy forwards it to moto. */
export function captureBodies(aws: LocalAws, action: string): string[] {
  const bodies: string[] = [];
  aws.proxy.inject({
    name: `capture ${action}`,
    service: 'cloudformation',
    action,
    times: 1,
    fault: {
      type: 'handle',
      handler: async (_request, body, forward) => {
        bodies.push(decodeURIComponent(body.toString('utf8').replace(/\+/g, ' ')));
        return forward();
      },
    },
  });
  return bodies;
}

export async function describeStack(aws: LocalAws, stackName: string) {
  const cfn = new CloudFormationClient(aws.clientConfig());
  try {
    return (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  } catch (error) {
    if (/does not exist/.test((error as Error).message)) return undefined;
    throw error;
  }
}

function readState<T = any>(home: string, key: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path.join(home, key), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export const registeredNames = (home: string): string[] =>
  (readState<{ racks: { name: string }[] }>(home, 'racks.json')?.racks ?? []).map((r) => r.name);

export const historyOf = (
  home: string,
  rack: string,
): Array<{ operation: string; result: string; to?: string; from?: string; note?: string }> =>
  readState(home, `history/${rack}.json`)?.entries ?? [];

/**
 * A rack template with only what uninstall touches: the settings bucket and its key, and the one group the
 * contract asks for, without a VPC, so that most uninstall tests stay quick. Uninstalling a rack made from a
 * shipped template is tested too (the harness's `stack-delete-resources` correction lets moto delete it).
 */
export const SLIM_TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Description: a rack without a network, for uninstall tests
Parameters:
  Version:
    Type: String
  Key:
    Type: String
    Default: ""
  Password:
    Type: String
    NoEcho: true
    MinLength: 8
Resources:
  EncryptionKey:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: !Sub arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root
            Action: kms:*
            Resource: "*"
  SettingsBucket:
    Type: AWS::S3::Bucket
  LaunchTemplate:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: ami-0aae19d30bab785d3
        InstanceType: t3.small
  AutoScalingGroup:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      LaunchTemplate:
        LaunchTemplateId: !Ref LaunchTemplate
        Version: !GetAtt LaunchTemplate.LatestVersionNumber
      AvailabilityZones: [us-east-1a]
      MinSize: "0"
      MaxSize: "1"
      DesiredCapacity: "0"
Outputs:
  SettingsBucket:
    Value: !Ref SettingsBucket
  EncryptionKey:
    Value: !GetAtt EncryptionKey.Arn
`;

/** The shipped channels with release 1.3.1's template replaced by SLIM_TEMPLATE (and its digest updated). */
export const slimChannels = () => channelsCopy({ version: '1.3.1', change: () => SLIM_TEMPLATE, fixDigest: true });
