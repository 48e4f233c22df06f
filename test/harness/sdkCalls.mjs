#!/usr/bin/env node
/**
 * A stand-in for the rack binary in tests of the harness itself (kill points, signals): it makes the AWS
 * SDK calls it is given, one after the other, through the endpoint and credentials of its environment
 * (`aws.env()`), and says what happened on stdout, one line each:
 *
 *   node test/harness/sdkCalls.mjs '[{"service":"s3","command":"CreateBucket","input":{"Bucket":"b"}}]'
 *   → "ok s3 CreateBucket", or "error s3 CreateBucket <error name>"
 *
 * Like rack, it lets the call in flight finish when interrupted: on SIGINT or SIGTERM it prints
 * "signal <name>", makes no further call, and exits 130 or 143. A SIGKILL ends it where it stands.
 */

const CLIENTS = {
  autoscaling: ['@aws-sdk/client-auto-scaling', 'AutoScalingClient'],
  cloudformation: ['@aws-sdk/client-cloudformation', 'CloudFormationClient'],
  ec2: ['@aws-sdk/client-ec2', 'EC2Client'],
  ecs: ['@aws-sdk/client-ecs', 'ECSClient'],
  kms: ['@aws-sdk/client-kms', 'KMSClient'],
  s3: ['@aws-sdk/client-s3', 'S3Client'],
  sts: ['@aws-sdk/client-sts', 'STSClient'],
};
const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 };

let interrupted;
for (const name of Object.keys(EXIT_CODES)) {
  process.on(name, () => {
    interrupted ??= name;
    console.log(`signal ${name}`);
  });
}

const calls = JSON.parse(process.argv[2] ?? '[]');
for (const { service, command, input = {} } of calls) {
  if (interrupted !== undefined) break;
  const [module, clientName] = CLIENTS[service] ?? [];
  if (module === undefined) throw new Error(`sdkCalls: no client for ${service}`);
  const sdk = await import(module);
  // One attempt: a failure shows as it happened, not after the SDK's retries.
  const client = new sdk[clientName]({ maxAttempts: 1, ...(service === 's3' && { forcePathStyle: true }) });
  try {
    const output = await client.send(new sdk[`${command}Command`](input));
    // An unread body (GetObject) would hold its kept-alive socket, and the process, open.
    await output.Body?.transformToString?.();
    console.log(`ok ${service} ${command}`);
  } catch (error) {
    console.log(`error ${service} ${command} ${error.name}`);
  } finally {
    client.destroy();
  }
}
process.exitCode = interrupted === undefined ? 0 : EXIT_CODES[interrupted];
