/**
 * An SSH server on 127.0.0.1 for the ssh tests, in this process (the `ssh2` package), so the tests need no
 * sshd on the machine; the client is the real OpenSSH `ssh` that rack spawns. It does what an instance's
 * sshd does for rack, and no more:
 * - public-key authentication, only with the keys the test authorizes and only for the users it names;
 * - `exec`: the command runs with `/bin/sh -c` as this process's user, on this machine (so a test can look
 *   at what rack left on disk from "the instance"), with its output and its exit code or signal;
 * - `direct-tcpip` channels, what `ssh -J` asks of a jump host, only to loopback addresses.
 * An interactive shell is refused: no test uses one. Its host key is generated per server, so a test can
 * start a second one that presents another key (an impostor).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import ssh2 from 'ssh2';

export interface SshdOptions {
  /** The users it lets in; default `root` (the commands run as this process's user whatever the name). */
  users?: readonly string[];
}

/** One authenticated login: who, with which key (SHA256 fingerprint). */
export interface Login {
  user: string;
  keyFingerprint: string;
}

export interface Sshd {
  port: number;
  /** The host key it presents: an OpenSSH public key line (`ssh-ed25519 AAAA…`). */
  hostPublicKey: string;
  /** The host key's SHA256 fingerprint, as OpenSSH prints it (`SHA256:…`). */
  hostKeyFingerprint: string;
  /** Replaces the keys the server accepts (OpenSSH public key lines). */
  authorize(publicKeys: string[]): void;
  /** Every login, in order. */
  readonly logins: Login[];
  /** Every forwarding a client asked for (`host:port`), granted or not, in order. */
  readonly forwards: string[];
  stop(): Promise<void>;
}

const { Server, utils } = ssh2;
type ParsedKey = ssh2.ParsedKey;

/** OpenSSH's SHA256 fingerprint of a public key blob: unpadded base64 of its digest. */
function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function parsePublicKey(line: string): ParsedKey {
  const parsed = utils.parseKey(line);
  if (parsed instanceof Error) throw new Error(`not an OpenSSH public key: ${line}: ${parsed.message}`);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key) throw new Error(`not an OpenSSH public key: ${line}`);
  return key;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (net.isIPv4(host) && host.startsWith('127.'));
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const users = new Set(options.users ?? ['root']);
  const hostKey = utils.generateKeyPairSync('ed25519');
  const hostPublic = parsePublicKey(hostKey.public);
  let authorized: ParsedKey[] = [];
  const logins: Login[] = [];
  const forwards: string[] = [];
  const connections = new Set<ssh2.Connection>();

  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    connections.add(client);
    client.on('close', () => connections.delete(client));
    client.on('error', () => {
      // A client that goes away mid-handshake (a probe, a killed ssh) is not the server's failure.
    });
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || !users.has(ctx.username)) return ctx.reject(['publickey']);
      const blob = ctx.key.data;
      const key = authorized.find((k) => k.type === ctx.key.algo && k.getPublicSSH().equals(blob));
      if (!key) return ctx.reject(['publickey']);
      // Without a signature the client only asks whether the key would do; with one, it must prove it holds it.
      if (!ctx.signature) return ctx.accept();
      if (key.verify(ctx.blob ?? Buffer.alloc(0), ctx.signature, ctx.hashAlgo) !== true) {
        return ctx.reject(['publickey']);
      }
      logins.push({ user: ctx.username, keyFingerprint: sha256Fingerprint(blob) });
      ctx.accept();
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, info) => exec(accept(), info.command));
        session.on('shell', (_accept, reject) => reject());
      });
      client.on('tcpip', (accept, reject, info) => {
        forwards.push(`${info.destIP}:${info.destPort}`);
        // Never a hop off this machine, whatever a client asks.
        if (!isLoopback(info.destIP)) return reject();
        const socket = net.connect(info.destPort, info.destIP);
        socket.once('error', () => reject());
        socket.once('connect', () => {
          socket.removeAllListeners('error');
          const channel = accept();
          socket.on('error', () => channel.destroy());
          channel.on('error', () => socket.destroy());
          channel.pipe(socket).pipe(channel);
        });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;

  return {
    port,
    hostPublicKey: hostKey.public.trim(),
    hostKeyFingerprint: sha256Fingerprint(hostPublic.getPublicSSH()),
    authorize(publicKeys) {
      authorized = publicKeys.map(parsePublicKey);
    },
    logins,
    forwards,
    async stop() {
      for (const connection of connections) connection.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Runs a command as sshd would for a session's `exec`, and reports how it ended on the channel. */
function exec(channel: ssh2.ServerChannel, command: string): void {
  const child = spawn('/bin/sh', ['-c', command], {
    cwd: os.homedir(),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: os.homedir(),
      SHELL: '/bin/sh',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.on('error', () => {
    // The command may exit without reading what the client sent.
  });
  channel.pipe(child.stdin);
  child.stdout.pipe(channel, { end: false });
  child.stderr.pipe(channel.stderr, { end: false });
  let ended = false;
  // The client went away (ssh killed, connection lost): as sshd, end the command with a hang-up.
  channel.on('close', () => {
    if (!ended) child.kill('SIGHUP');
  });
  child.once('error', (error) => {
    ended = true;
    channel.stderr.write(`${error.message}\n`);
    channel.exit(127);
    channel.end();
  });
  child.once('close', (code, signal) => {
    ended = true;
    if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '');
    else channel.exit(code ?? 0);
    channel.end();
  });
}
