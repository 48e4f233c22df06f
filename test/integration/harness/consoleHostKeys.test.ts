/**
 * The console-host-keys correction: GetConsoleOutput shows the host keys the test gave an instance, as
 * cloud-init prints them at first boot; plain moto prints a fixed kernel log for every instance.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EC2Client, GetConsoleOutputCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setConsoleHostKeys } from '../../harness/consoleHostKeys.js';
import { startLocalAws, type LocalAws } from '../../harness/localAws.js';

let corrected: LocalAws;
let plain: LocalAws;
const work = mkdtempSync(path.join(os.tmpdir(), 'rack-console-'));

beforeAll(async () => {
  [corrected, plain] = await Promise.all([startLocalAws(), startLocalAws({ without: ['console-host-keys'] })]);
});
afterAll(async () => {
  await Promise.all([corrected?.stop(), plain?.stop()]);
});

async function launch(aws: LocalAws): Promise<{ ec2: EC2Client; instanceId: string; privateIp: string }> {
  const ec2 = new EC2Client({ ...aws.clientConfig(), maxAttempts: 1 });
  const { Instances = [] } = await ec2.send(
    new RunInstancesCommand({ ImageId: 'ami-05a9d3c6794653577', InstanceType: 't3.small', MinCount: 1, MaxCount: 1 }),
  );
  return { ec2, instanceId: Instances[0]?.InstanceId ?? '', privateIp: Instances[0]?.PrivateIpAddress ?? '' };
}

async function consoleText(ec2: EC2Client, instanceId: string): Promise<string> {
  const { Output } = await ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId }));
  return Buffer.from(Output ?? '', 'base64').toString('utf8');
}

/** A host key made by OpenSSH, with the fingerprint line OpenSSH itself prints for it. */
function hostKey(type: 'ed25519' | 'ecdsa' | 'rsa'): { publicKey: string; fingerprint: string } {
  const file = path.join(work, `host_${type}_${Math.random().toString(36).slice(2)}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'made-here', '-f', file]);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).trim();
  return { publicKey: readFileSync(`${file}.pub`, 'utf8').trim(), fingerprint };
}

describe('console-host-keys', () => {
  it("prints the instance's host key fingerprints as ssh-keygen -l does, inside cloud-init's block", async () => {
    const { ec2, instanceId, privateIp } = await launch(corrected);
    const keys = [hostKey('ecdsa'), hostKey('ed25519'), hostKey('rsa')];
    const printed = await setConsoleHostKeys(
      corrected,
      instanceId,
      keys.map((k) => k.publicKey),
    );
    const host = `root@ip-${privateIp.replaceAll('.', '-')}`;
    // OpenSSH's own line, with the comment the instance's key files have.
    expect(printed).toEqual(keys.map((k) => k.fingerprint.replace('made-here', host)));

    const text = await consoleText(ec2, instanceId);
    const lines = text.split('\r\n');
    const begin = lines.findIndex((l) => l.endsWith(' ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----'));
    const end = lines.findIndex((l) => l.endsWith(' ec2: -----END SSH HOST KEY FINGERPRINTS-----'));
    expect(begin).toBeGreaterThan(0);
    expect(lines.slice(begin + 1, end).map((l) => l.replace(/^<14>.* ec2: /, ''))).toEqual(printed);
    // Then the keys themselves, as cloud-init prints them after the fingerprints.
    expect(text).toContain(
      ['-----BEGIN SSH HOST KEY KEYS-----', ...keys.map((k) => k.publicKey.replace('made-here', host))].join('\r\n'),
    );
  });

  it('an instance given no host keys shows a boot log without the block', async () => {
    const { ec2, instanceId } = await launch(corrected);
    const text = await consoleText(ec2, instanceId);
    expect(text).toContain('Cloud-init v.');
    expect(text).not.toContain('SSH HOST KEY');
    // Given keys and then none, it is back to no block.
    await setConsoleHostKeys(corrected, instanceId, [hostKey('ed25519').publicKey]);
    expect(await consoleText(ec2, instanceId)).toContain('-----BEGIN SSH HOST KEY FINGERPRINTS-----');
    await setConsoleHostKeys(corrected, instanceId, []);
    expect(await consoleText(ec2, instanceId)).not.toContain('SSH HOST KEY');
  });

  it('refuses a key it cannot read, and an unknown instance', async () => {
    const { instanceId } = await launch(corrected);
    await expect(setConsoleHostKeys(corrected, instanceId, ['not-a-key'])).rejects.toThrow(/not an OpenSSH public key/);
    await expect(setConsoleHostKeys(corrected, 'i-0123456789abcdef0', [])).rejects.toThrow(/i-0123456789abcdef0/);
  });

  it('is needed: plain moto prints the same fixed kernel log for every instance, without fingerprints', async () => {
    const first = await launch(plain);
    const second = await launch(plain);
    const text = await consoleText(first.ec2, first.instanceId);
    expect(text).toContain('Linux version 2.6.16-xenU');
    expect(text).not.toContain('SSH HOST KEY FINGERPRINTS');
    expect(await consoleText(second.ec2, second.instanceId)).toBe(text);
    await expect(setConsoleHostKeys(plain, first.instanceId, [hostKey('ed25519').publicKey])).rejects.toThrow(
      /without console-host-keys/,
    );
  });
});
