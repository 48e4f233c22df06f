/**
 * `rack instances ssh` with the real OpenSSH client against an SSH server on loopback in this process
 * (`sshd.ts`), after a real keyroll on the local AWS. The instance's addresses are mapped to 127.0.0.1 with
 * `--ssh-config`, and every other host to a closed port on 127.0.0.1, so no connection can leave loopback
 * even if rack picked the wrong address. The instances' console output shows the server's host key, as
 * cloud-init prints an instance's own (the harness's console-host-keys), unless a test says otherwise.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setConsoleHostKeys } from '../../harness/consoleHostKeys.js';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';
import { awsError } from '../../harness/proxy.js';
import { binary } from '../../harness/runRack.js';
import {
  clientsOf,
  expectNoKeyMaterial,
  filesUnder,
  freshRack,
  groupInstances,
  objectText,
  type Clients,
  type TestRack,
} from './rackFixture.js';
import { startSshd, type Sshd } from './sshd.js';

let aws: LocalAws;
let clients: Clients;
let sshd: Sshd;
let rack: TestRack;
let work: string;

beforeAll(async () => {
  [aws, sshd] = await Promise.all([startLocalAws({ inServiceDelayMs: 300, ecsTaskStartMs: 150 }), startSshd()]);
  clients = clientsOf(aws);
  rack = await freshRack(aws, clients, { password: 'ssh-Secret-123', prefix: 'ssh' });
  work = mkdtempSync(path.join(os.tmpdir(), 'rack-ssh-test-'));
});
afterAll(async () => {
  await Promise.all([aws?.stop(), sshd?.stop()]);
});

async function addresses(instanceId: string): Promise<string[]> {
  const { Reservations = [] } = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const i = Reservations[0]?.Instances?.[0];
  return [i?.PrivateIpAddress, i?.PublicIpAddress, i?.PrivateDnsName, i?.PublicDnsName].filter((a): a is string =>
    Boolean(a),
  );
}

/** Maps the instance's addresses to the server (by default the one whose key the console shows); anything else to a closed port on loopback. */
async function sshConfig(instanceId: string, extra = '', port = sshd.port): Promise<string> {
  const file = path.join(work, `config-${instanceId}-${port}`);
  writeFileSync(
    file,
    [
      `Host ${(await addresses(instanceId)).join(' ')}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      extra,
      'Host *',
      '  HostName 127.0.0.1',
      '  Port 9',
      '',
    ].join('\n'),
  );
  return file;
}

/** The SHA256 fingerprint of a public key file, as OpenSSH's ssh-keygen prints it. */
function fingerprintOf(publicKeyFile: string): string {
  return execFileSync('ssh-keygen', ['-l', '-f', publicKeyFile], { encoding: 'utf8' }).split(' ')[1] ?? '';
}

/** The rack's own known_hosts file, where it pins host keys under instance ids. */
function knownHostsFile(): string {
  return path.join(rack.home, 'ssh', `${aws.region}-${rack.stackName}.known_hosts`);
}

function pinned(): string {
  return existsSync(knownHostsFile()) ? readFileSync(knownHostsFile(), 'utf8') : '';
}

/** The server's host key as a known_hosts line pins it for an instance. */
function pinLine(id: string, server: Sshd = sshd): string {
  return `${id} ${server.hostPublicKey.split(' ').slice(0, 2).join(' ')}`;
}

/** A fresh TMPDIR per run, to see the key file and that it is gone. */
function tmpdir(): string {
  return mkdtempSync(path.join(work, 'tmp-'));
}

async function instanceIds(): Promise<string[]> {
  return (await groupInstances(clients, rack.group)).instances
    .filter((i) => i.lifecycle === 'InService')
    .map((i) => i.id);
}

describe('before any keyroll', () => {
  it('says to run rack instances keyroll first (exit 2)', async () => {
    const [id] = await instanceIds();
    const result = await rack.rack([
      'instances',
      'ssh',
      id!,
      '--user',
      'root',
      '--ssh-config',
      await sshConfig(id!),
      'true',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Rack prod has no SSH key yet.');
    expect(result.stderr).toContain('Run `rack instances keyroll --rack prod` first');
  });

  it("refuses an instance that is not the rack's (exit 2)", async () => {
    for (const args of [
      ['instances', 'ssh', 'i-0123456789abcdef0', 'true'],
      ['instances', 'terminate', 'i-0123456789abcdef0', '--yes'],
    ]) {
      const result = await rack.rack(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('Instance i-0123456789abcdef0 is not one of the instances of rack prod.');
    }
  });
});

describe('with the rolled key', () => {
  let privateKey: string;
  let keyName: string;
  let rolledFingerprint: string;

  beforeAll(async () => {
    const rolled = await rack.rack(['instances', 'keyroll', '--yes', '--json']);
    expect(rolled.code, rolled.stderr).toBe(0);
    keyName = rolled.json().keyName;
    privateKey = await objectText(clients, rack.bucket, `ssh/${keyName}.pem`);
    const file = path.join(work, 'rolled');
    writeFileSync(file, privateKey, { mode: 0o600 });
    // What the instances would have in authorized_keys: the public half of the rolled key.
    const publicKey = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
    writeFileSync(`${file}.pub`, `${publicKey}\n`);
    rolledFingerprint = fingerprintOf(`${file}.pub`);
    sshd.authorize([publicKey]);
    // The keyroll replaced the instances; their consoles show the server's host key from here on.
    for (const id of await instanceIds()) await setConsoleHostKeys(aws, id, [sshd.hostPublicKey]);
  });

  it('runs a command with the rolled key and exits with its exit code; the key file is 0600 while it runs and gone after', async () => {
    const [id] = await instanceIds();
    const tmp = tmpdir();
    const config = await sshConfig(id!);
    const env = { TMPDIR: tmp };

    const echoed = await rack.rack(
      ['instances', 'ssh', id!, '--user', 'root', '--ssh-config', config, 'echo rolled-key-works'],
      { env },
    );
    expect(echoed.code, echoed.stderr).toBe(0);
    expect(echoed.stdout).toBe('rolled-key-works\n');
    expect(sshd.logins.at(-1)).toEqual({ user: 'root', keyFingerprint: rolledFingerprint });

    const failed = await rack.rack(['instances', 'ssh', id!, '--user', 'root', '--ssh-config', config, 'exit 7'], {
      env,
    });
    expect(failed.code, failed.stderr).toBe(7);

    // The "remote" is this machine: it can look at the key file rack wrote for the connection.
    const mode = await rack.rack(
      [
        'instances',
        'ssh',
        id!,
        '--user',
        'root',
        '--ssh-config',
        config,
        `stat -c %a ${tmp}/rack-ssh-*/id_ed25519 ${tmp}/rack-ssh-*`,
      ],
      { env },
    );
    expect(mode.code, mode.stderr).toBe(0);
    expect(mode.stdout).toBe('600\n700\n');

    // Options of the remote command stay the command's, with or without "--".
    const listed = await rack.rack(
      ['instances', 'ssh', id!, '--user', 'root', '--ssh-config', config, 'ls', '-d', '/'],
      { env },
    );
    expect(listed.stdout, listed.stderr).toBe('/\n');
    const dashed = await rack.rack(
      ['instances', 'ssh', id!, '--user', 'root', '--ssh-config', config, '--', 'ls', '-d', '/'],
      { env },
    );
    expect(dashed.stdout, dashed.stderr).toBe('/\n');

    expect(readdirSync(tmp)).toEqual([]);
    // The host key matched the console's fingerprint: pinned once, under the instance id, in the rack's own file.
    expect(pinned()).toBe(`${pinLine(id!)}\n`);
    expectNoKeyMaterial(privateKey, ...rack.results.flatMap((r) => [r.stdout, r.stderr]), filesUnder(rack.home));
  });

  it('goes through a jump host with --bastion', async () => {
    const [id] = await instanceIds();
    // The bastion is the same sshd, reached as bastion.test with a key of the operator's own.
    const bastionKey = path.join(work, 'bastion');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', bastionKey]);
    sshd.authorize([
      execFileSync('ssh-keygen', ['-y', '-f', path.join(work, 'rolled')], { encoding: 'utf8' }).trim(),
      readFileSync(`${bastionKey}.pub`, 'utf8').trim(),
    ]);
    const bastion = [
      'Host bastion.test',
      '  HostName 127.0.0.1',
      `  Port ${sshd.port}`,
      '  User root',
      `  IdentityFile ${bastionKey}`,
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking accept-new',
      `  UserKnownHostsFile ${path.join(work, 'bastion_known_hosts')}`,
    ].join('\n');
    const config = await sshConfig(id!, bastion);
    // Nothing pinned yet: the host key too is fetched through the jump host, and checked.
    rmSync(knownHostsFile());
    const result = await rack.rack(
      [
        'instances',
        'ssh',
        id!,
        '--user',
        'root',
        '--ssh-config',
        config,
        '--bastion',
        'bastion.test',
        'echo via-bastion',
      ],
      { env: { TMPDIR: tmpdir() } },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('via-bastion\n');
    // Through the jump host: the operator's key there, a forwarding to the target, the rolled key on it.
    expect(sshd.logins.slice(-2)).toEqual([
      { user: 'root', keyFingerprint: fingerprintOf(`${bastionKey}.pub`) },
      { user: 'root', keyFingerprint: rolledFingerprint },
    ]);
    // Two forwardings to the target: one for its host key, one for the login.
    expect(sshd.forwards.slice(-2)).toEqual([`127.0.0.1:${sshd.port}`, `127.0.0.1:${sshd.port}`]);
    expect(pinned()).toBe(`${pinLine(id!)}\n`);
  });

  it('is refused by the server with a key the test did not authorize (the server checks keys)', async () => {
    const [id] = await instanceIds();
    const other = path.join(work, 'unauthorized');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const config = await sshConfig(id!);
    const [address] = await addresses(id!);
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        'ssh',
        [
          '-F',
          config,
          '-i',
          other,
          '-o',
          'IdentitiesOnly=yes',
          '-o',
          'BatchMode=yes',
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          `UserKnownHostsFile=${path.join(work, 'unauthorized_known_hosts')}`,
          '-l',
          'root',
          address!,
          'true',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.once('close', (code) => resolve({ code, stderr }));
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('Permission denied (publickey)');
  });

  it('removes the key file when rack is stopped by a signal', async () => {
    const [id] = await instanceIds();
    const tmp = tmpdir();
    const config = await sshConfig(id!);
    const child = spawn(
      process.execPath,
      [binary, 'instances', 'ssh', id!, '--user', 'root', '--ssh-config', config, 'sleep 3'],
      {
        env: { ...rack.env, TMPDIR: tmp },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 15_000;
    while (!readdirSync(tmp).some((d) => existsSync(path.join(tmp, d, 'id_ed25519')))) {
      if (Date.now() > deadline) throw new Error(`the key file never appeared: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Give ssh a moment to connect, then stop rack as a terminal's hang-up or a kill would.
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
    // rack hands the signal to ssh, which ends with its own 255 ("Killed by signal 15"); rack passes it on.
    expect(await exited).toBe(255);
    expect(readdirSync(tmp)).toEqual([]);
    expectNoKeyMaterial(privateKey, stderr);
  });
  describe('host keys checked against the console output', () => {
    let impostor: Sshd;
    beforeAll(async () => {
      // Another server, with a host key of its own, that would let the rolled key in: only the host key check stops it.
      impostor = await startSshd();
      impostor.authorize([readFileSync(path.join(work, 'rolled.pub'), 'utf8').trim()]);
    });
    afterAll(async () => {
      await impostor?.stop();
    });

    const ssh = (id: string, config: string, ...rest: string[]) =>
      rack.rack(['instances', 'ssh', id, '--user', 'root', '--ssh-config', config, ...rest], {
        env: { TMPDIR: tmpdir() },
      });

    it('refuses a host key that does not match the fingerprints (exit 3, nothing pinned), then pins the one that does', async () => {
      const [, id] = await instanceIds();
      rmSync(knownHostsFile(), { force: true });
      const toImpostor = await sshConfig(id!, '', impostor.port);
      for (const flags of [[], ['--accept-new-host-key']]) {
        const refusedRun = await ssh(id!, toImpostor, ...flags, 'echo should-not-run');
        expect(refusedRun.code, refusedRun.stderr).toBe(3);
        expect(refusedRun.stdout).toBe('');
        expect(refusedRun.stderr).toContain(
          `The host key ${id} presented does not match the fingerprints in its console output.`,
        );
        expect(refusedRun.stderr).toContain(`presented: ssh-ed25519 ${impostor.hostKeyFingerprint}`);
        expect(refusedRun.stderr).toContain(`console: ED25519 ${sshd.hostKeyFingerprint}`);
        expect(refusedRun.stderr).toContain('No login was attempted and no host key was pinned.');
      }
      expect(impostor.logins).toEqual([]);
      expect(pinned()).toBe('');

      const real = await ssh(id!, await sshConfig(id!), 'echo the-real-one');
      expect(real.code, real.stderr).toBe(0);
      expect(real.stdout).toBe('the-real-one\n');
      expect(pinned()).toBe(`${pinLine(id!)}\n`);

      // Pinned now: the impostor is turned away by ssh itself, before any login (ssh's own 255).
      const again = await ssh(id!, toImpostor, 'echo should-not-run');
      expect(again.code).toBe(255);
      expect(again.stderr).toContain('Host key verification failed.');
      expect(impostor.logins).toEqual([]);
      expect(pinned()).toBe(`${pinLine(id!)}\n`);
    });

    it('refuses when the console shows no fingerprints (exit 3); --accept-new-host-key connects and pins the key', async () => {
      const [id] = await instanceIds();
      rmSync(knownHostsFile(), { force: true });
      await setConsoleHostKeys(aws, id!, []);
      const config = await sshConfig(id!);
      const logins = sshd.logins.length;

      const refusedRun = await ssh(id!, config, 'echo should-not-run');
      expect(refusedRun.code, refusedRun.stderr).toBe(3);
      expect(refusedRun.stdout).toBe('');
      expect(refusedRun.stderr).toContain(
        `The console output of ${id} shows no SSH host key fingerprints, so its host key cannot be checked.`,
      );
      expect(refusedRun.stderr).toContain('--accept-new-host-key');
      expect(sshd.logins.length).toBe(logins);
      expect(pinned()).toBe('');

      const accepted = await ssh(id!, config, '--accept-new-host-key', 'echo accepted');
      expect(accepted.code, accepted.stderr).toBe(0);
      expect(accepted.stdout).toBe('accepted\n');
      expect(accepted.stderr).toContain('trusting the key it presents on first use');
      expect(pinned()).toBe(`${pinLine(id!)}\n`);
    });

    it('uses a key already pinned for the instance as is, without reading the console', async () => {
      const [id] = await instanceIds();
      expect(pinned()).toContain(pinLine(id!));
      // Whatever the console says now, the pin decides.
      await setConsoleHostKeys(aws, id!, [impostor.hostPublicKey]);
      aws.proxy.clear();
      const result = await ssh(id!, await sshConfig(id!), 'echo pinned');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe('pinned\n');
      expect(aws.proxy.seen({ action: 'GetConsoleOutput' })).toEqual([]);
      await setConsoleHostKeys(aws, id!, [sshd.hostPublicKey]);
    });

    it("passes on ssh's own words and 255 when it cannot reach the instance to read its key, pinning nothing", async () => {
      const [id] = await instanceIds();
      rmSync(knownHostsFile(), { force: true });
      // The instance's addresses fall to the closed port like every other host.
      const nowhere = path.join(work, 'config-nowhere');
      writeFileSync(nowhere, ['Host *', '  HostName 127.0.0.1', '  Port 9', ''].join('\n'));
      const result = await ssh(id!, nowhere, 'echo should-not-run');
      expect(result.code).toBe(255);
      expect(result.stderr).toContain('Connection refused');
      expect(result.stderr).toContain(`ssh could not reach ${id} to read its host key`);
      expect(pinned()).toBe('');
    });

    it('a console rack may not read: exit 4 naming it; --accept-new-host-key goes on with a warning', async () => {
      const [id] = await instanceIds();
      rmSync(knownHostsFile(), { force: true });
      const denied = aws.proxy.inject({
        service: 'ec2',
        action: 'GetConsoleOutput',
        fault: {
          type: 'handle',
          handler: async (request) =>
            awsError(
              request.protocol,
              403,
              'UnauthorizedOperation',
              'You are not authorized to perform this operation.',
            ),
        },
      });
      try {
        const config = await sshConfig(id!);
        const refusedRun = await ssh(id!, config, 'echo should-not-run');
        expect(refusedRun.code, refusedRun.stderr).toBe(4);
        expect(refusedRun.stderr).toContain(`reading the console output of ${id}`);
        expect(pinned()).toBe('');

        const accepted = await ssh(id!, config, '--accept-new-host-key', 'echo accepted');
        expect(accepted.code, accepted.stderr).toBe(0);
        expect(accepted.stdout).toBe('accepted\n');
        expect(accepted.stderr).toContain(`reading the console output of ${id}`);
        expect(accepted.stderr).toContain('trusting the key it presents on first use');
        expect(pinned()).toBe(`${pinLine(id!)}\n`);
      } finally {
        denied.remove();
      }
    });
  });
});
