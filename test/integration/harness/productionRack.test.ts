/**
 * The corrections rack 2.0.0 (the production template: NAT gateways, a load balancer, alarms) needs on moto:
 * `alarm-resources`, `load-balancer-full-names`, `stack-update-conditions` and `stack-update-cleanup`. Each
 * is shown on a small template (the cleanup on the real rollback from 2.0.0 to 1.4.0), and on plain moto
 * without it; and DeleteStack of a 2.0.0 rack deletes what the release adds.
 */
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  UpdateStackCommand,
  type Parameter,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, ListDashboardsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeAddressesCommand,
  DescribeFlowLogsCommand,
  DescribeNatGatewaysCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { createRackStack, templateArgument, templateBody } from '../../harness/rackStacks.js';

let corrected: LocalAws;
/** Without the three corrections shown on small templates; each fails on its own template. */
let plain: LocalAws;
/** Without the cleanup, shown on the real rollback from 2.0.0 to 1.4.0. */
let noCleanup: LocalAws;

beforeAll(async () => {
  [corrected, plain, noCleanup] = await Promise.all([
    startLocalAws(),
    startLocalAws({ without: ['alarm-resources', 'load-balancer-full-names', 'stack-update-conditions'] }),
    startLocalAws({ without: ['stack-update-cleanup'] }),
  ]);
});
afterAll(async () => {
  await Promise.all([corrected?.stop(), plain?.stop(), noCleanup?.stop()]);
});

/** maxAttempts 1: what moto answers is what the test sees. */
function clients(aws: LocalAws) {
  const config = { ...aws.clientConfig(), maxAttempts: 1 };
  return {
    cfn: new CloudFormationClient(config),
    cloudWatch: new CloudWatchClient(config),
    ec2: new EC2Client(config),
    elb: new ElasticLoadBalancingV2Client(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
  };
}

const parameters = (values: Record<string, string>): Parameter[] =>
  Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));

async function stack(aws: LocalAws, name: string) {
  return (await clients(aws).cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks![0]!;
}

async function physicalIds(aws: LocalAws, name: string): Promise<Record<string, string | undefined>> {
  const { StackResources } = await clients(aws).cfn.send(new DescribeStackResourcesCommand({ StackName: name }));
  return Object.fromEntries((StackResources ?? []).map((r) => [r.LogicalResourceId, r.PhysicalResourceId]));
}

const ALARM_TEMPLATE = JSON.stringify({
  Parameters: { Threshold: { Type: 'Number', Default: 5 } },
  Resources: {
    Topic: { Type: 'AWS::SNS::Topic' },
    Errors: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: 'too many errors',
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'HTTPCode_Target_5XX_Count',
        Dimensions: [{ Name: 'LoadBalancer', Value: 'app/lb/1234' }],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 3,
        Threshold: { Ref: 'Threshold' },
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'Topic' }],
      },
    },
  },
  Outputs: { Alarm: { Value: { Ref: 'Errors' } }, AlarmArn: { Value: { 'Fn::GetAtt': ['Errors', 'Arn'] } } },
});

describe('alarm-resources', () => {
  async function alarms(aws: LocalAws) {
    return (await clients(aws).cloudWatch.send(new DescribeAlarmsCommand({}))).MetricAlarms ?? [];
  }

  it('creates the alarm, updates it in place and deletes it with the stack', async () => {
    const { cfn } = clients(corrected);
    await cfn.send(new CreateStackCommand({ StackName: 'alarmed', TemplateBody: ALARM_TEMPLATE }));
    const outputs = Object.fromEntries(
      (await stack(corrected, 'alarmed')).Outputs!.map((o) => [o.OutputKey, o.OutputValue]),
    );
    const [created] = await alarms(corrected);
    expect(created).toMatchObject({
      AlarmName: outputs.Alarm,
      AlarmArn: outputs.AlarmArn,
      Threshold: 5,
      Dimensions: [{ Name: 'LoadBalancer', Value: 'app/lb/1234' }],
    });
    expect(created?.AlarmName).toMatch(/^alarmed-Errors-/);
    expect(created?.AlarmActions?.[0]).toMatch(/^arn:aws:sns:/);

    await cfn.send(
      new UpdateStackCommand({
        StackName: 'alarmed',
        TemplateBody: ALARM_TEMPLATE,
        Parameters: parameters({ Threshold: '9' }),
      }),
    );
    expect((await alarms(corrected)).map((a) => [a.AlarmName, a.Threshold])).toEqual([[created?.AlarmName, 9]]);

    await cfn.send(new DeleteStackCommand({ StackName: 'alarmed' }));
    expect(await alarms(corrected)).toEqual([]);
  });

  it('is needed: plain moto creates the stack without the alarm, and fails a template that refers to it', async () => {
    const { cfn } = clients(plain);
    const withoutArn = JSON.stringify({ ...JSON.parse(ALARM_TEMPLATE), Outputs: {} });
    await cfn.send(new CreateStackCommand({ StackName: 'alarmed', TemplateBody: withoutArn }));
    expect(await alarms(plain)).toEqual([]);
    await expect(
      cfn.send(new CreateStackCommand({ StackName: 'alarm-arn', TemplateBody: ALARM_TEMPLATE })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
  });
});

const LOAD_BALANCER_TEMPLATE = JSON.stringify({
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.1.0.0/16' } },
    SubnetA: {
      Type: 'AWS::EC2::Subnet',
      Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.1.0.0/24', AvailabilityZone: 'us-east-1a' },
    },
    SubnetB: {
      Type: 'AWS::EC2::Subnet',
      Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.1.1.0/24', AvailabilityZone: 'us-east-1b' },
    },
    Balancer: {
      Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      Properties: { Subnets: [{ Ref: 'SubnetA' }, { Ref: 'SubnetB' }] },
    },
    Targets: {
      Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
      Properties: { VpcId: { Ref: 'Vpc' }, Protocol: 'HTTP', Port: 80 },
    },
  },
  Outputs: {
    Balancer: { Value: { Ref: 'Balancer' } },
    BalancerFullName: { Value: { 'Fn::GetAtt': ['Balancer', 'LoadBalancerFullName'] } },
    Targets: { Value: { Ref: 'Targets' } },
    TargetsFullName: { Value: { 'Fn::GetAtt': ['Targets', 'TargetGroupFullName'] } },
  },
});

describe('load-balancer-full-names', () => {
  it("gives the ARNs' final parts, which CloudWatch's dimensions take", async () => {
    await clients(corrected).cfn.send(
      new CreateStackCommand({ StackName: 'balanced', TemplateBody: LOAD_BALANCER_TEMPLATE }),
    );
    const outputs = Object.fromEntries(
      (await stack(corrected, 'balanced')).Outputs!.map((o) => [o.OutputKey!, o.OutputValue!]),
    );
    expect(outputs.BalancerFullName).toMatch(/^app\/balanced-Balancer-[^/]+\/[0-9a-f]+$/);
    expect(outputs.Balancer).toBe(
      `arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/${outputs.BalancerFullName}`,
    );
    expect(outputs.TargetsFullName).toMatch(/^targetgroup\/balanced-Targets-[^/]+\/[0-9a-f]+$/);
    expect(outputs.Targets).toBe(`arn:aws:elasticloadbalancing:us-east-1:123456789012:${outputs.TargetsFullName}`);
  });

  it('is needed: plain moto leaves them out (an alarm on them would have no dimension values)', async () => {
    await clients(plain).cfn.send(
      new CreateStackCommand({ StackName: 'balanced', TemplateBody: LOAD_BALANCER_TEMPLATE }),
    );
    const outputs = (await stack(plain, 'balanced')).Outputs ?? [];
    expect(outputs.map((o) => o.OutputKey)).not.toContain('BalancerFullName');
    expect(outputs.map((o) => o.OutputKey)).not.toContain('TargetsFullName');
  });
});

const CONDITIONAL_TEMPLATE = JSON.stringify({
  Parameters: { Extra: { Type: 'String', Default: '' } },
  Conditions: { HasExtra: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Extra' }, ''] }] } },
  Resources: {
    Always: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'always' } },
    ExtraBucket: {
      Type: 'AWS::S3::Bucket',
      Condition: 'HasExtra',
      Properties: { BucketName: { Ref: 'Extra' } },
    },
  },
});

/** The same with a change elsewhere, so that an update has something to do. */
const CONDITIONAL_TEMPLATE_V2 = JSON.stringify({
  ...JSON.parse(CONDITIONAL_TEMPLATE),
  Resources: {
    ...JSON.parse(CONDITIONAL_TEMPLATE).Resources,
    Always: {
      Type: 'AWS::S3::Bucket',
      Properties: { BucketName: 'always', Tags: [{ Key: 'changed', Value: 'yes' }] },
    },
  },
});

describe('stack-update-conditions', () => {
  async function exists(aws: LocalAws, bucket: string): Promise<boolean> {
    try {
      await clients(aws).s3.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw error;
    }
  }

  const update = (aws: LocalAws, value: string) =>
    clients(aws).cfn.send(
      new UpdateStackCommand({
        StackName: 'conditional',
        TemplateBody: value === 'first' ? CONDITIONAL_TEMPLATE_V2 : CONDITIONAL_TEMPLATE,
        Parameters: parameters({ Extra: value === 'first' ? '' : value }),
      }),
    );

  it('leaves a resource whose condition stays false alone, creates it when true, deletes it when false', async () => {
    await clients(corrected).cfn.send(
      new CreateStackCommand({ StackName: 'conditional', TemplateBody: CONDITIONAL_TEMPLATE }),
    );
    await update(corrected, 'first');
    expect((await stack(corrected, 'conditional')).StackStatus).toBe('UPDATE_COMPLETE');
    expect((await physicalIds(corrected, 'conditional')).ExtraBucket).toBeUndefined();

    await update(corrected, 'extra-bucket');
    expect(await exists(corrected, 'extra-bucket')).toBe(true);
    expect((await physicalIds(corrected, 'conditional')).ExtraBucket).toBe('extra-bucket');

    await update(corrected, '');
    expect(await exists(corrected, 'extra-bucket')).toBe(false);
    expect(await exists(corrected, 'always')).toBe(true);
  });

  it('is needed: plain moto answers HTTP 500 when a parameter of a resource never created is passed', async () => {
    await clients(plain).cfn.send(
      new CreateStackCommand({ StackName: 'conditional', TemplateBody: CONDITIONAL_TEMPLATE }),
    );
    await expect(update(plain, 'first')).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
  });
});

describe('what 2.0.0 adds, deleted with the stack (stack-delete-resources)', () => {
  it('leaves no NAT gateway, address, endpoint, load balancer, alarm or dashboard behind', async () => {
    await createRackStack(corrected, {
      stackName: 'whole',
      version: '2.0.0',
      password: 'whole-Secret-1',
      parameters: { WebhookSecret: 'whole-webhook-secret' },
    });
    const ids = await physicalIds(corrected, 'whole');
    await clients(corrected).cfn.send(new DeleteStackCommand({ StackName: 'whole' }));

    const { ec2, elb, cloudWatch } = clients(corrected);
    const nat = (await ec2.send(new DescribeNatGatewaysCommand({}))).NatGateways ?? [];
    expect(nat.filter((n) => n.VpcId === ids.Vpc).map((n) => n.State)).toEqual(['deleted', 'deleted', 'deleted']);
    const addresses = (await ec2.send(new DescribeAddressesCommand({}))).Addresses ?? [];
    expect(addresses.map((a) => a.PublicIp)).not.toContain(ids.NatAddressA);
    const endpoints = (await ec2.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints ?? [];
    expect(endpoints.filter((e) => e.VpcId === ids.Vpc).map((e) => e.State)).toEqual(['deleted']);
    const flowLogs = (await ec2.send(new DescribeFlowLogsCommand({}))).FlowLogs ?? [];
    expect(flowLogs.map((f) => f.FlowLogId)).not.toContain(ids.VpcFlowLog);
    const balancers = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
    expect(balancers.map((b) => b.LoadBalancerArn)).not.toContain(ids.LoadBalancer);
    const groups = (await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [];
    expect(groups.map((g) => g.TargetGroupArn)).not.toContain(ids.ApiTargetGroup);
    const alarms = ((await cloudWatch.send(new DescribeAlarmsCommand({}))).MetricAlarms ?? []).map((a) => a.AlarmName);
    expect(alarms.filter((name) => name?.startsWith('whole-'))).toEqual([]);
    const dashboards = (await cloudWatch.send(new ListDashboardsCommand({}))).DashboardEntries ?? [];
    expect(dashboards.map((d) => d.DashboardName)).not.toContain('rack-whole');
  });
});

describe('stack-update-cleanup', () => {
  const PASSWORD = 'cleanup-Secret-1';
  const WEBHOOK = 'cleanup-webhook-secret';

  async function changeTemplate(aws: LocalAws, name: string, version: string) {
    const { cfn } = clients(aws);
    const kept = ['Password', 'WebhookSecret', 'InstanceCount', 'InstanceType', 'LogRetentionDays', 'Key'];
    await cfn.send(
      new CreateChangeSetCommand({
        StackName: name,
        ChangeSetName: `to-${version.replaceAll('.', '-')}`,
        ChangeSetType: 'UPDATE',
        ...(await templateArgument(aws, templateBody(version))),
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [
          { ParameterKey: 'Version', ParameterValue: version },
          ...kept.map((ParameterKey) => ({ ParameterKey, UsePreviousValue: true })),
        ],
      }),
    );
    await cfn.send(
      new ExecuteChangeSetCommand({ StackName: name, ChangeSetName: `to-${version.replaceAll('.', '-')}` }),
    );
  }

  async function events(aws: LocalAws, name: string): Promise<StackEvent[]> {
    const found: StackEvent[] = [];
    let NextToken: string | undefined;
    do {
      const page = await clients(aws).cfn.send(new DescribeStackEventsCommand({ StackName: name, NextToken }));
      found.push(...(page.StackEvents ?? []));
      NextToken = page.NextToken;
    } while (NextToken !== undefined);
    return found.reverse();
  }

  it('deletes what 2.0.0 added when a rack goes back to 1.4.0, dependents first, after the update', async () => {
    await createRackStack(corrected, {
      stackName: 'back',
      version: '1.4.0',
      password: PASSWORD,
      parameters: { WebhookSecret: WEBHOOK },
    });
    await changeTemplate(corrected, 'back', '2.0.0');
    const added = await physicalIds(corrected, 'back');
    expect(added.NatGatewayA).toMatch(/^nat-/);
    await changeTemplate(corrected, 'back', '1.4.0');

    expect((await stack(corrected, 'back')).StackStatus).toBe('UPDATE_COMPLETE');
    const left = await physicalIds(corrected, 'back');
    expect(Object.keys(left)).not.toContain('NatGatewayA');
    expect(left.Vpc).toBe(added.Vpc);
    const { ec2, elb, cloudWatch } = clients(corrected);
    const nat = (await ec2.send(new DescribeNatGatewaysCommand({}))).NatGateways ?? [];
    expect(nat.filter((n) => n.VpcId === added.Vpc).map((n) => n.State)).toEqual(['deleted', 'deleted', 'deleted']);
    const endpoints = (await ec2.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints ?? [];
    expect(endpoints.filter((e) => e.VpcId === added.Vpc).map((e) => e.State)).toEqual(['deleted']);
    const balancers = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
    expect(balancers.map((b) => b.LoadBalancerArn)).not.toContain(added.LoadBalancer);
    const alarmNames = ((await cloudWatch.send(new DescribeAlarmsCommand({}))).MetricAlarms ?? []).map(
      (a) => a.AlarmName,
    );
    expect(alarmNames).not.toContain(added.ApiDownAlarm);
    expect(alarmNames.filter((name) => name?.startsWith('back-'))).toEqual([]);
    expect(await corrected.stackParameters('back')).toMatchObject({ Version: '1.4.0', Password: PASSWORD });

    const deleted = (await events(corrected, 'back'))
      .filter((e) => e.ResourceStatus === 'DELETE_COMPLETE')
      .map((e) => e.LogicalResourceId!);
    const deletedBefore = (first: string, then: string) =>
      expect(deleted.indexOf(first), `${first} before ${then}`).toBeLessThan(deleted.indexOf(then));
    deletedBefore('PrivateRouteA', 'PrivateRouteTableA');
    deletedBefore('PrivateRouteA', 'NatGatewayA');
    deletedBefore('NatGatewayA', 'NatAddressA');
    deletedBefore('HttpListener', 'ApiTargetGroup');
    deletedBefore('HttpListener', 'LoadBalancer');
    deletedBefore('ApiDownAlarm', 'LoadBalancer');
    deletedBefore('S3Endpoint', 'PrivateRouteTableB');
  });

  it('is needed: plain moto deletes in template order and fails the update half applied', async () => {
    await createRackStack(noCleanup, {
      stackName: 'back',
      version: '1.4.0',
      password: PASSWORD,
      parameters: { WebhookSecret: WEBHOOK },
    });
    await changeTemplate(noCleanup, 'back', '2.0.0');
    await expect(changeTemplate(noCleanup, 'back', '1.4.0')).rejects.toThrow(
      /The routeTable ID 'rtb-[0-9a-f]+' does not exist/,
    );
  });
});
