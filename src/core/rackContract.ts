/**
 * The rack template contract (docs/architecture.md): what every template rack manages must provide. Checked
 * before a release is published, installed or updated to, so a command that needs the contract refuses
 * before writing anything, naming what is missing.
 */
import { refused } from '../errors.js';
import type { RackTemplate } from './template.js';

export const GROUP_TYPE = 'AWS::AutoScaling::AutoScalingGroup';
const REQUIRED_PARAMETERS = ['Version', 'Key'];
const REQUIRED_OUTPUTS = ['SettingsBucket', 'EncryptionKey'];

/** Each way the template breaks the contract, as "it lacks …" phrases; empty when it follows it. */
export function contractProblems(template: RackTemplate): string[] {
  const problems: string[] = [];
  const declared = new Set(template.parameters.map((parameter) => parameter.key));
  for (const key of REQUIRED_PARAMETERS) if (!declared.has(key)) problems.push(`it lacks the ${key} parameter`);
  const groups = template.resources.filter((resource) => resource.type === GROUP_TYPE).length;
  if (groups !== 1) problems.push(`it has ${groups} ${GROUP_TYPE} resources, not exactly one`);
  for (const output of REQUIRED_OUTPUTS)
    if (!template.outputs.includes(output)) problems.push(`it lacks the ${output} output`);
  return problems;
}

/**
 * What a running stack lacks of the contract, by what DescribeStacks shows of it (its parameters and
 * outputs; resources need one more call per stack): the test `rack racks discover` applies to a whole account.
 */
export function stackContractGaps(stack: { parameters: readonly string[]; outputs: readonly string[] }): string[] {
  const parameters = new Set(stack.parameters);
  const outputs = new Set(stack.outputs);
  return [
    ...REQUIRED_PARAMETERS.filter((key) => !parameters.has(key)).map((key) => `parameter ${key}`),
    ...REQUIRED_OUTPUTS.filter((key) => !outputs.has(key)).map((key) => `output ${key}`),
  ];
}

/** Refuses (exit 3) a release whose template breaks the contract. */
export function requireRackContract(template: RackTemplate, version: string, untouched: string): void {
  const problems = contractProblems(template);
  if (problems.length === 0) return;
  throw refused(`Release ${version} does not follow the rack template contract.`, {
    problems,
    untouched,
    next: 'Fix the template and publish a new release; see "The rack template contract" in the documentation.',
  });
}

/** The group's update policy that makes CloudFormation replace instances itself, without draining them. */
export function replacingUpdatePolicy(template: RackTemplate): string | undefined {
  const group = template.resources.find((resource) => resource.type === GROUP_TYPE);
  const policy = group?.updatePolicy ?? {};
  return ['AutoScalingRollingUpdate', 'AutoScalingReplacingUpdate'].find((name) => name in policy);
}
