/**
 * The host key `rack instances ssh` trusts for an instance. Instances are replaced all the time, so nearly
 * every connection is a first one, and accepting whatever key answers would accept anyone's. Instead:
 * - a key already pinned for the instance id in the rack's known_hosts file is used as is;
 * - otherwise the instance's console output (EC2 GetConsoleOutput) must show cloud-init's host key
 *   fingerprints. ssh fetches the key the instance presents, by the very route the login will take
 *   (--ssh-config, --bastion, the user's own ssh config), into a throw-away known_hosts file, with every
 *   authentication method off, so nothing is offered to a host not yet checked; only a key whose SHA256
 *   fingerprint the console printed is pinned, and the login then runs with StrictHostKeyChecking=yes;
 * - a console without fingerprints is refused (exit 3), unless the user accepts the first key presented
 *   (`--accept-new-host-key`), which is then pinned by ssh itself (accept-new).
 * A key that does not match is never pinned and never used.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import { consoleOutput } from '../aws/ec2.js';
import type { Context } from '../context.js';
import {
  type ConsoleFingerprint,
  consoleFingerprints,
  type HostKey,
  keysMatchingConsole,
  knownHostKeys,
  knownHostsLine,
} from '../core/hostKeys.js';
import { internalError, isRackError, type RackError, refused, usageError } from '../errors.js';
import { fingerprintOf } from './rackKeys.js';

/** How ssh reaches the instance: the same for the host key and the login. */
export interface SshRoute {
  /** The address ssh connects to (or the jump host forwards to). */
  host: string;
  user: string;
  bastion?: string;
  sshConfig?: string;
}

/**
 * The arguments that take ssh along the route, last before the remote command: the host-key fetch and the
 * login pass the same ones, so that the key checked is the key of the host the login reaches.
 */
export function routeArgs(route: SshRoute): string[] {
  return [
    ...(route.sshConfig ? ['-F', route.sshConfig] : []),
    ...(route.bastion ? ['-J', route.bastion] : []),
    '-l',
    route.user,
    // "--" ends ssh's options, so that a remote command's own options stay the command's.
    '--',
    route.host,
  ];
}

export interface HostKeyRequest {
  instanceId: string;
  route: SshRoute;
  /** The rack's own known_hosts file. */
  knownHosts: string;
  /** Trust the first key presented when the console shows no fingerprints. */
  acceptNewHostKey: boolean;
  ssh: string;
}

/** How the login checks the host key, or why it cannot be made. */
export type HostKeyCheck =
  | { type: 'pinned' }
  | { type: 'verified'; fingerprint: string }
  | { type: 'accept-new' }
  /** ssh could not get as far as the key exchange: its own words (redacted, inert for a terminal) and exit code. */
  | { type: 'unreachable'; code: number; stderr: string };

/** The host key options of the login itself. */
export function hostKeyOptions(check: HostKeyCheck, request: HostKeyRequest): string[] {
  return [
    '-o',
    `StrictHostKeyChecking=${check.type === 'accept-new' ? 'accept-new' : 'yes'}`,
    '-o',
    `UserKnownHostsFile=${request.knownHosts}`,
    // Only keys rack pinned count, and rack reads back what ssh pins (accept-new): plain names, no others added.
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'HashKnownHosts=no',
    '-o',
    'UpdateHostKeys=no',
    // Addresses are reused across instances; ids are not.
    '-o',
    `HostKeyAlias=${request.instanceId}`,
  ];
}

export async function checkHostKey(ctx: Context, aws: AwsClients, request: HostKeyRequest): Promise<HostKeyCheck> {
  const { instanceId, knownHosts } = request;
  if (knownHostKeys(readText(knownHosts), instanceId).length > 0) return { type: 'pinned' };

  const printed = await readConsoleFingerprints(ctx, aws, request);
  if (printed === undefined) {
    if (!request.acceptNewHostKey) {
      throw refused(
        `The console output of ${instanceId} shows no SSH host key fingerprints, so its host key cannot be checked.`,
        {
          untouched: 'No connection was made and no host key was pinned.',
          next:
            'cloud-init prints them at first boot; a new instance may need a few minutes before EC2 shows its console. ' +
            'Try again later, or pass --accept-new-host-key to trust the key the instance presents on first use.',
          details: { instanceId },
        },
      );
    }
    ctx.events.emit({
      type: 'warning',
      text: `${instanceId}: no host key fingerprints to check against; trusting the key it presents on first use (--accept-new-host-key).`,
    });
    return { type: 'accept-new' };
  }

  const presented = await presentedHostKeys(ctx, request);
  if (presented.keys.length === 0) return { type: 'unreachable', code: presented.code, stderr: presented.stderr };
  const fingerprint = (key: HostKey) => fingerprintOf(Buffer.from(key.key, 'base64'));
  const matching = keysMatchingConsole(presented.keys, fingerprint, printed);
  if (matching.length === 0) {
    const offered = presented.keys.map((k) => `${k.type} ${fingerprint(k)}`);
    throw refused(`The host key ${instanceId} presented does not match the fingerprints in its console output.`, {
      problems: [`presented: ${offered.join(', ')}`, `console: ${printed.map(describeFingerprint).join(', ')}`],
      untouched: 'No login was attempted and no host key was pinned.',
      next:
        'Something other than the instance may be answering at its address: check the route (--bastion, --ssh-config, ' +
        'your ssh config) before connecting again.',
      details: { instanceId, presented: offered, console: printed.map(describeFingerprint) },
    });
  }
  appendFileSync(knownHosts, `${matching.map((key) => knownHostsLine(instanceId, key)).join('\n')}\n`, {
    mode: 0o600,
  });
  const pinned = fingerprint(matching[0]!);
  ctx.logger.debug(`pinned host key ${pinned} for ${instanceId}: it matches the console output`);
  return { type: 'verified', fingerprint: pinned };
}

function describeFingerprint(f: ConsoleFingerprint): string {
  return `${f.type} ${f.fingerprint}`;
}

function readText(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/**
 * The console's fingerprints, or undefined when it shows none. A console rack may not read counts as one
 * without fingerprints when the user accepts new host keys anyway; otherwise its error stands (exit 4).
 */
async function readConsoleFingerprints(
  ctx: Context,
  aws: AwsClients,
  request: HostKeyRequest,
): Promise<ConsoleFingerprint[] | undefined> {
  try {
    return consoleFingerprints(await consoleOutput(aws, request.instanceId));
  } catch (error) {
    if (!request.acceptNewHostKey || !isRackError(error) || error.kind !== 'auth') throw error;
    ctx.logger.warn(error.message);
    return undefined;
  }
}

/** How long fetching the key may take: a jump host may ask for a passphrase on the terminal. */
const PRESENTED_KEY_TIMEOUT_MS = 120_000;

/**
 * The key(s) the host at the end of the route presents, as ssh records them with accept-new into a file of
 * its own. Every authentication method is off, so ssh stops after "Permission denied" having offered
 * nothing; a host that lets it in anyway gets no command (-N) and is hung up on after the timeout.
 */
async function presentedHostKeys(
  ctx: Context,
  request: HostKeyRequest,
): Promise<{ keys: HostKey[]; code: number; stderr: string }> {
  const dir = mkdtempSync(path.join(ctx.env.TMPDIR || os.tmpdir(), 'rack-hostkey-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', remove);
  try {
    const file = path.join(dir, 'known_hosts');
    const args = [
      // Into a throw-away file: what the instance presents, before anything is trusted.
      ...hostKeyOptions({ type: 'accept-new' }, { ...request, knownHosts: file }),
      '-o',
      'BatchMode=yes',
      '-o',
      'PreferredAuthentications=none',
      // A shared connection would skip the key exchange, and with it the key.
      '-o',
      'ControlMaster=no',
      '-o',
      'ControlPath=none',
      '-o',
      'LogLevel=ERROR',
      '-N',
      ...routeArgs(request.route),
    ];
    ctx.logger.debug(`ssh ${args.join(' ')}`);
    const { code, stderr } = await runCaptured(request.ssh, args, ctx.env);
    return { keys: knownHostKeys(readText(file)), code, stderr: sshWords(ctx, stderr) };
  } finally {
    remove();
    process.removeListener('exit', remove);
  }
}

/** ssh's own words, which may quote what a host or bastion said: without secrets, and inert for the terminal. */
function sshWords(ctx: Context, stderr: string): string {
  return ctx.logger.printable(stderr);
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** While `child` runs, a signal to rack goes to it instead; returns the function that stops forwarding. */
export function forwardSignals(child: ChildProcess): () => void {
  const handlers = SIGNALS.map((signal) => [signal, () => child.kill(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}

function runCaptured(command: string, args: string[], env: Context['env']): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...env } as NodeJS.ProcessEnv });
    const stopForwarding = forwardSignals(child);
    const timer = setTimeout(() => child.kill('SIGTERM'), PRESENTED_KEY_TIMEOUT_MS);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      stopForwarding();
      reject(sshNotStarted(command, error));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      stopForwarding();
      resolve({ code: code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0), stderr });
    });
  });
}

/** The error for an ssh that could not be started. */
export function sshNotStarted(command: string, error: NodeJS.ErrnoException): RackError {
  return error.code === 'ENOENT'
    ? usageError(`OpenSSH's ssh was not found (${command}).`, {
        next: 'Install an OpenSSH client (e.g. `apt-get install openssh-client`).',
      })
    : internalError(`ssh could not be started: ${error.message}`);
}
