/**
 * A faithful local AWS for one test file: moto, corrected by `moto_launcher.py`, behind a fault proxy.
 *
 *   const aws = await startLocalAws();           // in beforeAll
 *   new CloudFormationClient(aws.clientConfig());
 *   spawn('node', ['dist/rack.cjs', ...], { env: { ...process.env, ...aws.env() } });
 *   await aws.stop();                            // in afterAll
 *
 * Each call starts its own moto, so files running in parallel never see each other's resources. A moto
 * that cannot start is an error, never a skipped test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startFaultProxy, type FaultProxy } from './proxy.js';

export type CorrectionName =
  | 'noecho-mask'
  | 'parameter-strings'
  | 'previous-defaults'
  | 'empty-parameters'
  | 'stack-update-dependents'
  | 'group-update-in-place'
  | 'security-group-update'
  | 'task-definition-update'
  | 'log-group-update'
  | 'stack-delete-resources'
  | 'iam-capability'
  | 'list-change-sets-by-stack'
  | 'change-set-lookup'
  | 'execute-deletes-change-sets'
  | 'template-body-limit'
  | 'expected-bucket-owner'
  | 'stack-update-cleanup'
  | 'stack-update-conditions'
  | 'alarm-resources'
  | 'load-balancer-full-names'
  | 'rollback-triggers'
  | 'group-launch-version'
  | 'in-service-delay'
  | 'ecs-agent'
  | 'console-host-keys';

/** Every correction the launcher applies unless told `without`, in the order it applies them. */
export const CORRECTIONS: readonly CorrectionName[] = [
  'parameter-strings',
  'noecho-mask',
  'previous-defaults',
  'empty-parameters',
  'stack-update-dependents',
  'group-update-in-place',
  'security-group-update',
  'task-definition-update',
  'log-group-update',
  'stack-delete-resources',
  'iam-capability',
  'list-change-sets-by-stack',
  'change-set-lookup',
  'execute-deletes-change-sets',
  'template-body-limit',
  'expected-bucket-owner',
  'stack-update-cleanup',
  'stack-update-conditions',
  'alarm-resources',
  'load-balancer-full-names',
  'rollback-triggers',
  'group-launch-version',
  'in-service-delay',
  'ecs-agent',
  'console-host-keys',
];

export interface LocalAwsOptions {
  /** Default `us-east-1`. */
  region?: string;
  /** Corrections to leave out, to show what plain moto does. */
  without?: readonly CorrectionName[];
  /** Seed of the proxy's random (rules with a `probability`). */
  seed?: number;
  /** How long moto may take to report it is ready; default 30 s (two test files may start at once). */
  startTimeoutMs?: number;
  /** Default `python3`: the machine's Python with moto 5.2.1. */
  python?: string;
  /** moto logs every request on this process's stderr. */
  verbose?: boolean;
  /** How long a group's new instance stays Pending before InService; default 0 (see ecsAgent.ts to change it later). */
  inServiceDelayMs?: number;
  /** How long a task the fake ECS agent places stays PENDING before RUNNING; default 500. */
  ecsTaskStartMs?: number;
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ClientConfig {
  endpoint: string;
  region: string;
  credentials: AwsCredentials;
}

export interface LocalAws {
  /** The proxy's URL: what clients and the `rack` binary talk to. */
  readonly endpoint: string;
  /** moto itself, bypassing the proxy (no faults, not recorded). */
  readonly motoEndpoint: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** The corrections this moto runs with. */
  readonly corrections: readonly CorrectionName[];
  readonly proxy: FaultProxy;
  /** Environment for a `rack` child process: spread over process.env. */
  env(): Record<string, string>;
  /** For SDK clients built in-process; S3 clients also need `forcePathStyle: true`. */
  clientConfig(): ClientConfig;
  /** The values the stack really stores, NoEcho ones unmasked (harness side door, not an AWS call). */
  stackParameters(stackName: string, options?: { region?: string }): Promise<Record<string, string>>;
  /** Empties moto (every service, every region) and clears the proxy's rules and log. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const LAUNCHER = fileURLToPath(new URL('./moto_launcher.py', import.meta.url));
const READY = /^READY port=(\d+) corrections=(\S*)$/;
const CREDENTIALS: AwsCredentials = { accessKeyId: 'local-harness', secretAccessKey: 'local-harness-secret' };

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const region = options.region ?? 'us-east-1';
  const moto = await startMoto(options);
  const motoEndpoint = `http://127.0.0.1:${moto.port}`;
  let proxy: FaultProxy;
  try {
    proxy = await startFaultProxy({ target: motoEndpoint, seed: options.seed });
  } catch (error) {
    await stopChild(moto.child);
    throw error;
  }
  const endpoint = proxy.url;

  return {
    endpoint,
    motoEndpoint,
    region,
    credentials: CREDENTIALS,
    corrections: moto.corrections,
    proxy,
    env: () => ({
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true',
      // Keep the developer's own profiles and keys out of reach of a test.
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    }),
    clientConfig: () => ({ endpoint, region, credentials: { ...CREDENTIALS } }),
    stackParameters: async (stackName, { region: stackRegion = region } = {}) => {
      const query = new URLSearchParams({ name: stackName, region: stackRegion });
      const response = await fetch(`${motoEndpoint}/_harness/stack-parameters?${query}`);
      const answer = (await response.json()) as { parameters?: Record<string, string>; error?: string };
      if (!response.ok || answer.parameters === undefined) {
        throw new Error(
          `Harness side door: no parameters for stack ${stackName} in ${stackRegion}: ${answer.error ?? response.status}`,
        );
      }
      return answer.parameters;
    },
    reset: async () => {
      const response = await fetch(`${motoEndpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto did not reset: HTTP ${response.status}`);
      proxy.clear();
    },
    stop: async () => {
      await proxy.close();
      await stopChild(moto.child);
    },
  };
}

// --- the moto process -----------------------------------------------------------------------------------------

interface StartedMoto {
  child: ChildProcess;
  port: number;
  corrections: CorrectionName[];
}

/** Every moto this process started and has not stopped: killed when the process exits, however it exits. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work is possible in 'exit'. A process killed outright never gets here: the
  // launcher then sees its stdin close and exits by itself.
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

function startMoto(options: LocalAwsOptions): Promise<StartedMoto> {
  const python = options.python ?? 'python3';
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const args = [LAUNCHER, ...(options.without ?? []).flatMap((name) => ['--without', name])];
  if (options.verbose === true) args.push('--verbose');
  if (options.inServiceDelayMs !== undefined) args.push('--in-service-delay-ms', String(options.inServiceDelayMs));
  if (options.ecsTaskStartMs !== undefined) args.push('--ecs-task-start-ms', String(options.ecsTaskStartMs));

  const child = spawn(python, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
  });
  killOnExit(child);
  const stderr = tail(child, options.verbose === true);

  return new Promise<StartedMoto>((resolve, reject) => {
    const fail = (reason: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      const output = stderr().trim();
      reject(
        new Error(
          `Local AWS could not start: ${reason}. The harness needs moto 5.2.1 in \`${python}\` ` +
            `(try \`${python} ${LAUNCHER}\`).${output === '' ? '' : `\nmoto's stderr:\n${output}`}`,
        ),
      );
    };
    const timer = setTimeout(() => fail(`moto did not report READY within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error) => fail(`cannot run ${python}: ${error.message}`));
    child.once('exit', (code, signal) => fail(`moto exited (${signal ?? `code ${code}`}) before it was ready`));

    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const ready = READY.exec(line.trim());
      if (ready === null) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.once('exit', () => running.delete(child));
      lines.close();
      child.stdout!.resume();
      const corrections = (ready[2] ?? '').split(',').filter((c) => c !== '') as CorrectionName[];
      resolve({ child, port: Number(ready[1]), corrections });
    });
  });
}

/** Keeps the last few KB of moto's stderr for error messages, and keeps the pipe drained. */
function tail(child: ChildProcess, echo: boolean): () => string {
  let kept = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (echo) process.stderr.write(chunk);
    kept = (kept + chunk.toString('utf8')).slice(-8192);
  });
  return () => kept;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The launcher exits when its stdin closes; SIGTERM and then SIGKILL if it does not.
  child.stdin?.end();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
