import { describe, expect, it } from 'vitest';
import { consoleFingerprints, keysMatchingConsole, knownHostKeys, knownHostsLine } from '../../../src/core/hostKeys.js';

const ED = 'SHA256:fmF2dM5ks1nsgOMnU4sgWS1aRUnHI4yMB/5Pr1YZZ7M';
const EC = 'SHA256:Ek7xK6Ggd0Lh/lgFRkyO4yPnP+ogNb0gqS9yO8D5YRo';
const RSA = 'SHA256:u4N8sE5bx3vAXeG+y0ibyC1rN5rZp2iXbVNHDXJ0oMs';

/** As Amazon Linux 2023's console shows it: write-ssh-key-fingerprints through `logger -s -t ec2`. */
const AMAZON_LINUX = [
  "[    5.832116] cloud-init[1602]: Cloud-init v. 22.2.2 running 'init' at Mon, 05 Jan 2026 10:00:00 +0000.",
  '<14>Jan  5 10:00:09 ec2: ',
  '<14>Jan  5 10:00:09 ec2: #############################################################',
  '<14>Jan  5 10:00:09 ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
  `<14>Jan  5 10:00:09 ec2: 256 ${EC} root@ip-172-31-1-2.ec2.internal (ECDSA)`,
  `<14>Jan  5 10:00:10 ec2: 256 ${ED} root@ip-172-31-1-2.ec2.internal (ED25519)`,
  '<14>Jan  5 10:00:10 ec2: -----END SSH HOST KEY FINGERPRINTS-----',
  '<14>Jan  5 10:00:10 ec2: #############################################################',
  '-----BEGIN SSH HOST KEY KEYS-----',
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY= root@ip-172-31-1-2.ec2.internal',
  '-----END SSH HOST KEY KEYS-----',
].join('\r\n');

describe('consoleFingerprints', () => {
  it("reads cloud-init's block behind a syslog prefix, with CRLF line ends", () => {
    expect(consoleFingerprints(AMAZON_LINUX)).toEqual([
      { bits: 256, fingerprint: EC, type: 'ECDSA' },
      { bits: 256, fingerprint: ED, type: 'ED25519' },
    ]);
  });

  it('reads a block without prefix, comments of any shape, and no comment at all', () => {
    const text = [
      '-----BEGIN SSH HOST KEY FINGERPRINTS-----',
      `3072 ${RSA} no comment (RSA)`,
      `256 ${ED} (ED25519)`,
      `256 ${EC} root@host (with parentheses) (ECDSA)`,
      '-----END SSH HOST KEY FINGERPRINTS-----',
    ].join('\n');
    expect(consoleFingerprints(text)).toEqual([
      { bits: 3072, fingerprint: RSA, type: 'RSA' },
      { bits: 256, fingerprint: ED, type: 'ED25519' },
      { bits: 256, fingerprint: EC, type: 'ECDSA' },
    ]);
  });

  it('skips other output interleaved in the block', () => {
    const text = [
      'ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
      '[   12.000001] random: crng init done',
      `ec2: 256 ${ED} root@ip-10-0-0-1 (ED25519)`,
      'ec2: -----END SSH HOST KEY FINGERPRINTS-----',
    ].join('\n');
    expect(consoleFingerprints(text)).toEqual([{ bits: 256, fingerprint: ED, type: 'ED25519' }]);
  });

  it('takes the last complete block: a later boot supersedes an earlier one', () => {
    const block = (fp: string) => [
      '-----BEGIN SSH HOST KEY FINGERPRINTS-----',
      `256 ${fp} x (ED25519)`,
      '-----END SSH HOST KEY FINGERPRINTS-----',
    ];
    expect(consoleFingerprints([...block(ED), 'reboot', ...block(EC)].join('\n'))).toEqual([
      { bits: 256, fingerprint: EC, type: 'ED25519' },
    ]);
    // A block cut short (the console still being written) does not replace a complete one, nor count alone.
    const cut = [...block(ED), '-----BEGIN SSH HOST KEY FINGERPRINTS-----', `256 ${EC} x (ED25519)`];
    expect(consoleFingerprints(cut.join('\n'))).toEqual([{ bits: 256, fingerprint: ED, type: 'ED25519' }]);
    expect(consoleFingerprints(cut.slice(3).join('\n'))).toBeUndefined();
  });

  it('has none without a block, or with a block of MD5 fingerprints only (they cannot check a key)', () => {
    expect(consoleFingerprints('')).toBeUndefined();
    expect(
      consoleFingerprints('Linux version 2.6.16-xenU\nKernel command line: root=/dev/sda1 ro 4\n'),
    ).toBeUndefined();
    const md5 = [
      '-----BEGIN SSH HOST KEY FINGERPRINTS-----',
      '2048 1f:5a:33:8a:9e:8c:27:4f:64:31:ad:2b:3d:6e:21:43 /etc/ssh/ssh_host_rsa_key.pub (RSA)',
      '-----END SSH HOST KEY FINGERPRINTS-----',
    ];
    expect(consoleFingerprints(md5.join('\n'))).toBeUndefined();
    // A fingerprint outside any block is not the console's word.
    expect(consoleFingerprints(`256 ${ED} root@x (ED25519)`)).toBeUndefined();
  });
});

describe('known_hosts', () => {
  const key = { type: 'ssh-ed25519', key: 'AAAAC3NzaC1lZDI1NTE5AAAAIH3tJ1oL5m7v1Jk0vkLqvYw7n4j3lU1n1q6T7mK9Q8cD' };

  it('pins a key under the instance id and finds it there only', () => {
    const text = `${knownHostsLine('i-0abc', key)}\n`;
    expect(text).toBe(`i-0abc ${key.type} ${key.key}\n`);
    expect(knownHostKeys(text, 'i-0abc')).toEqual([key]);
    expect(knownHostKeys(text, 'i-0ab')).toEqual([]);
    expect(knownHostKeys(text, 'i-0abcd')).toEqual([]);
  });

  it('reads comma-separated names, skips comments, markers and hashed names', () => {
    const text = [
      '# pinned by rack',
      `i-1,i-2 ${key.type} ${key.key}`,
      `@revoked i-3 ${key.type} ${key.key}`,
      `|1|c2FsdA==|aGFzaA== ${key.type} ${key.key}`,
      '',
      'i-4 ssh-ed25519',
    ].join('\n');
    expect(knownHostKeys(text, 'i-2')).toEqual([key]);
    expect(knownHostKeys(text, 'i-3')).toEqual([]);
    expect(knownHostKeys(text, 'i-4')).toEqual([]);
    // Every key, as in a file ssh wrote for one connection.
    expect(knownHostKeys(text)).toEqual([key, key]);
  });
});

describe('keysMatchingConsole', () => {
  it('keeps only the keys whose fingerprint the console printed', () => {
    const printed = [{ bits: 256, fingerprint: ED, type: 'ED25519' }];
    const fingerprint = (k: { fp: string }) => k.fp;
    expect(keysMatchingConsole([{ fp: EC }, { fp: ED }], fingerprint, printed)).toEqual([{ fp: ED }]);
    expect(keysMatchingConsole([{ fp: EC }], fingerprint, printed)).toEqual([]);
    expect(keysMatchingConsole([{ fp: ED }], fingerprint, [])).toEqual([]);
  });
});
