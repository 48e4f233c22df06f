/** Creates rack stacks from the shipped templates on the local AWS, as an operator's account would have them. */
import { CloudFormationClient, CreateStackCommand, waitUntilStackCreateComplete } from '@aws-sdk/client-cloudformation';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalAws } from './localAws.js';
import { repoRoot } from './runRack.js';

export function templateBody(version: string): string {
  return readFileSync(path.join(repoRoot, 'channels', 'templates', `rack-${version}.yaml`), 'utf8');
}

export interface RackStackOptions {
  stackName: string;
  version: string;
  password: string;
  parameters?: Record<string, string>;
}

export async function createRackStack(aws: LocalAws, options: RackStackOptions): Promise<void> {
  const cfn = new CloudFormationClient(aws.clientConfig());
  const parameters = { Version: options.version, Password: options.password, ...options.parameters };
  await cfn.send(
    new CreateStackCommand({
      StackName: options.stackName,
      TemplateBody: templateBody(options.version),
      Capabilities: ['CAPABILITY_IAM'],
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
        ParameterKey,
        ParameterValue,
      })),
    }),
  );
  await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 60, minDelay: 1 }, { StackName: options.stackName });
}
