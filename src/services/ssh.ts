/**
 * `rack instances ssh`: OpenSSH to one of the rack's instances with the rack's active key. The private
 * key is read from the settings bucket into a file only this user can read (0600, in a 0700 directory),
 * removed when ssh ends, also when rack is stopped by a signal. The host key is checked against the
 * fingerprints in the instance's console output and pinned in a known_hosts file of the rack's own, keyed
 * by instance id (sshHostKeys.ts). Once connected, ssh's exit code (the remote command's) is rack's.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { describeInstances, type InstanceDetails } from '../aws/ec2.js';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { resolveRack } from '../state/registry.js';
import { rackInstance, readRackFleet } from './instances.js';
import { readActivePrivateKey, settingsOf } from './rackKeys.js';
import {
  checkHostKey,
  forwardSignals,
  hostKeyOptions,
  type HostKeyRequest,
  routeArgs,
  sshNotStarted,
} from './sshHostKeys.js';

export interface SshRequest {
  rack?: string;
  instanceId: string;
  /** Default ec2-user. */
  user?: string;
  /** A jump host, as OpenSSH's -J takes it. */
  bastion?: string;
  /** An OpenSSH config file handed to ssh with -F. */
  sshConfig?: string;
  /** When the console output shows no host key fingerprints, trust the key presented on first use. */
  acceptNewHostKey?: boolean;
  /** The remote command and its arguments; none for a login shell. */
  command?: string[];
}

export interface SshOptions {
  /** The ssh binary; default `ssh` on the PATH. */
  ssh?: string;
}

export async function runSsh(ctx: Context, request: SshRequest, options: SshOptions = {}): Promise<number> {
  const rack = await resolveRack(ctx.state, request.rack);
  const fleet = await readRackFleet(ctx, rack);
  const { member } = await rackInstance(fleet, request.instanceId);
  const settings = settingsOf(rack, fleet.stack);
  const key = await readActivePrivateKey(ctx, fleet.aws, settings);
  if (!key) {
    throw usageError(`Rack ${rack.name} has no SSH key yet.`, {
      untouched: 'Nothing was changed.',
      next: `Run \`rack instances keyroll --rack ${rack.name}\` first: it makes a key and puts it on every instance.`,
    });
  }
  const [details] = await describeInstances(fleet.aws, [member.instanceId]);
  if (details?.keyName !== key.active.keyName) {
    ctx.events.emit({
      type: 'warning',
      text: `${member.instanceId} runs key pair ${details?.keyName ?? '(none)'}, not the active ${key.active.keyName}: the login will likely fail until a keyroll replaces it.`,
    });
  }
  const host = addressOf(details, Boolean(request.bastion));
  if (!host) {
    throw usageError(`Instance ${member.instanceId} has no IP address to connect to.`, {
      untouched: 'Nothing was changed.',
      next: 'Check that the instance is running (`rack instances`).',
    });
  }
  const knownHosts = path.join(ctx.home, 'ssh', `${rack.region}-${rack.stack}.known_hosts`);
  mkdirSync(path.dirname(knownHosts), { recursive: true, mode: 0o700 });
  const hostKey: HostKeyRequest = {
    instanceId: member.instanceId,
    route: { host, user: request.user ?? 'ec2-user', bastion: request.bastion, sshConfig: request.sshConfig },
    knownHosts,
    acceptNewHostKey: request.acceptNewHostKey ?? false,
    ssh: options.ssh ?? 'ssh',
  };
  const check = await checkHostKey(ctx, fleet.aws, hostKey);
  if (check.type === 'unreachable') {
    // ssh's own words, redacted and made inert for the terminal where they were read (sshHostKeys.ts).
    ctx.io.stderr.write(check.stderr);
    ctx.logger.warn(`ssh could not reach ${member.instanceId} to read its host key (exit ${check.code}).`);
    return check.code;
  }

  return withKeyFile(ctx, key.privateKey, (keyFile) => {
    const args = [
      '-i',
      keyFile,
      '-o',
      'IdentitiesOnly=yes',
      ...hostKeyOptions(check, hostKey),
      ...routeArgs(hostKey.route),
      ...(request.command ?? []),
    ];
    ctx.logger.debug(`ssh ${args.join(' ')}`);
    return runChild(ctx, hostKey.ssh, args);
  });
}

/** Through a bastion the private address; directly the public one when there is one. */
function addressOf(details: InstanceDetails | undefined, viaBastion: boolean): string | undefined {
  if (!details) return undefined;
  return viaBastion
    ? (details.privateIp ?? details.privateDns)
    : (details.publicIp ?? details.publicDns ?? details.privateIp ?? details.privateDns);
}

/** Writes the key to a private temporary file for the duration of `use`, and removes it whatever happens. */
async function withKeyFile<T>(ctx: Context, privateKey: string, use: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(ctx.env.TMPDIR || os.tmpdir(), 'rack-ssh-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  // If the process exits while ssh runs (a signal rack does not handle), the key still goes.
  process.once('exit', remove);
  try {
    const file = path.join(dir, 'id_ed25519');
    writeFileSync(file, privateKey, { mode: 0o600, flag: 'wx' });
    return await use(file);
  } finally {
    remove();
    process.removeListener('exit', remove);
  }
}

/**
 * Runs ssh on the terminal rack was given (the same file descriptors, so ssh sees the terminal) or, in
 * tests and embeddings, through the context's streams. A signal to rack goes to ssh; rack returns when
 * ssh has ended, so the key file is removed after it.
 */
function runChild(ctx: Context, command: string, args: string[]): Promise<number> {
  const fd = (stream: unknown): number | undefined => {
    const value = (stream as { fd?: unknown }).fd;
    return typeof value === 'number' ? value : undefined;
  };
  const stdinFd = fd(ctx.io.stdin);
  const stdoutFd = fd(ctx.io.stdout);
  const stderrFd = fd(ctx.io.stderr);
  const stdio: StdioOptions = [stdinFd ?? 'pipe', stdoutFd ?? 'pipe', stderrFd ?? 'pipe'];

  return new Promise<number>((resolve, reject) => {
    const child = spawn(command, args, { stdio, env: { ...ctx.env } as NodeJS.ProcessEnv });
    const stopForwarding = forwardSignals(child);
    const input = stdinFd === undefined && child.stdin ? (ctx.io.stdin as Readable) : undefined;
    if (input && child.stdin) input.pipe(child.stdin);
    const cleanup = () => {
      stopForwarding();
      if (input && child.stdin) input.unpipe(child.stdin);
    };
    child.stdout?.on('data', (chunk: Buffer) => ctx.io.stdout.write(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => ctx.io.stderr.write(ctx.logger.redact(chunk.toString())));
    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      reject(sshNotStarted(command, error));
    });
    child.once('close', (code, signal) => {
      cleanup();
      if (code === 255)
        ctx.logger.warn('ssh ended with 255: the connection failed (or the remote command exited 255).');
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}
