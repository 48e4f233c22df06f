/**
 * Factories for the AWS SDK v3 clients rack uses. Each client module is imported only when first
 * asked for, so a command pays only for the services it talks to. The endpoint and credentials come
 * from the environment the context was built with (not from process.env), so tests can run several
 * contexts in one process against different loopback endpoints.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { S3Client } from '@aws-sdk/client-s3';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { STSClient } from '@aws-sdk/client-sts';

export interface AwsTarget {
  region: string;
  profile?: string;
}

export interface AwsSettings {
  /** AWS_ENDPOINT_URL, the SDK's own variable, read from the context's environment. */
  endpoint?: string;
  /** Static credentials when the environment names them; otherwise the SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts: number;
  /** Called for every AWS call with its name and outcome, never its parameters (they may hold secrets). */
  onCall?: (call: { service: string; operation: string; ms: number; error?: string }) => void;
  /**
   * Asks for an MFA code when a profile assumes a role with `mfa_serial` (only given on a terminal; without
   * one, such a profile fails with the SDK's own message).
   */
  mfaCodeProvider?: (mfaSerial: string) => Promise<string>;
}

export interface AwsClients {
  readonly target: AwsTarget;
  cloudformation(): Promise<CloudFormationClient>;
  /**
   * A CloudFormation client that never retries on its own, for calls that must not be repeated blindly
   * (ExecuteChangeSet): the caller checks what happened before trying again.
   */
  cloudformationOnce(): Promise<CloudFormationClient>;
  s3(): Promise<S3Client>;
  ec2(): Promise<EC2Client>;
  autoscaling(): Promise<AutoScalingClient>;
  ecs(): Promise<ECSClient>;
  kms(): Promise<KMSClient>;
  sts(): Promise<STSClient>;
  /** CloudWatch: the alarms a rack's updates are rolled back on (rollback triggers) and its health gate waits for. */
  cloudwatch(): Promise<CloudWatchClient>;
}

export function awsSettingsFromEnv(env: Record<string, string | undefined>): AwsSettings {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  return {
    endpoint: env.AWS_ENDPOINT_URL || undefined,
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined }
        : undefined,
    maxAttempts: Number(env.AWS_MAX_ATTEMPTS) > 0 ? Number(env.AWS_MAX_ATTEMPTS) : 5,
  };
}

interface ClientLike {
  middlewareStack: { add(mw: unknown, options: unknown): void };
}

function baseConfig(target: AwsTarget, settings: AwsSettings) {
  return {
    region: target.region,
    ...(target.profile && !settings.credentials ? { profile: target.profile } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    maxAttempts: settings.maxAttempts,
    // Adaptive retries back off harder under throttling, which is what a fleet sync runs into.
    retryMode: 'adaptive',
  };
}

function observe<T extends ClientLike>(client: T, service: string, settings: AwsSettings): T {
  const onCall = settings.onCall;
  if (!onCall) return client;
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const started = Date.now();
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      try {
        const result = await next(args);
        onCall({ service, operation, ms: Date.now() - started });
        return result;
      } catch (error) {
        onCall({ service, operation, ms: Date.now() - started, error: (error as Error).name });
        throw error;
      }
    },
    { step: 'initialize', name: 'rackCallObserver' },
  );
  return client;
}

/**
 * The SDK's default credential chain (environment, profiles, SSO, assume-role, containers, instance
 * metadata), with an MFA prompt for profiles that need one. Loaded only when a client is first built.
 */
function credentialChain(target: AwsTarget, settings: AwsSettings) {
  if (settings.credentials || !settings.mfaCodeProvider) return undefined;
  let provider: Promise<(options?: unknown) => Promise<unknown>> | undefined;
  const mfaCodeProvider = settings.mfaCodeProvider;
  return (options?: unknown) => {
    provider ??= import('@aws-sdk/credential-provider-node').then(
      ({ defaultProvider }) =>
        defaultProvider({ profile: target.profile, mfaCodeProvider }) as (options?: unknown) => Promise<unknown>,
    );
    return provider.then((resolve) => resolve(options));
  };
}

export function createAwsClients(target: AwsTarget, settings: AwsSettings): AwsClients {
  const cache = new Map<string, Promise<unknown>>();
  const once = <T>(name: string, make: () => Promise<T>): Promise<T> => {
    if (!cache.has(name)) cache.set(name, make());
    return cache.get(name) as Promise<T>;
  };
  const chain = credentialChain(target, settings);
  const config = { ...baseConfig(target, settings), ...(chain ? { credentials: chain as never } : {}) };
  return {
    target,
    cloudformation: () =>
      once('cloudformation', async () => {
        const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
        return observe(new CloudFormationClient(config), 'cloudformation', settings);
      }),
    cloudformationOnce: () =>
      once('cloudformationOnce', async () => {
        const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
        return observe(new CloudFormationClient({ ...config, maxAttempts: 1 }), 'cloudformation', settings);
      }),
    s3: () =>
      once('s3', async () => {
        const { S3Client } = await import('@aws-sdk/client-s3');
        // Path-style only for custom endpoints (emulators, S3-compatible stores); AWS itself uses virtual hosts.
        return observe(new S3Client({ ...config, forcePathStyle: Boolean(settings.endpoint) }), 's3', settings);
      }),
    ec2: () =>
      once('ec2', async () => {
        const { EC2Client } = await import('@aws-sdk/client-ec2');
        return observe(new EC2Client(config), 'ec2', settings);
      }),
    autoscaling: () =>
      once('autoscaling', async () => {
        const { AutoScalingClient } = await import('@aws-sdk/client-auto-scaling');
        return observe(new AutoScalingClient(config), 'autoscaling', settings);
      }),
    ecs: () =>
      once('ecs', async () => {
        const { ECSClient } = await import('@aws-sdk/client-ecs');
        return observe(new ECSClient(config), 'ecs', settings);
      }),
    kms: () =>
      once('kms', async () => {
        const { KMSClient } = await import('@aws-sdk/client-kms');
        return observe(new KMSClient(config), 'kms', settings);
      }),
    sts: () =>
      once('sts', async () => {
        const { STSClient } = await import('@aws-sdk/client-sts');
        return observe(new STSClient(config), 'sts', settings);
      }),
    cloudwatch: () =>
      once('cloudwatch', async () => {
        const { CloudWatchClient } = await import('@aws-sdk/client-cloudwatch');
        return observe(new CloudWatchClient(config), 'cloudwatch', settings);
      }),
  };
}
