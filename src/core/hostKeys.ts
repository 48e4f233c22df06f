/**
 * SSH host keys checked out of band. An instance's own first boot prints its host key fingerprints on its
 * console (cloud-init's keys_to_console: `ssh-keygen -l` of each host key, between the BEGIN and END lines
 * below, often behind a syslog prefix such as `<14>Jan 01 00:00:00 ec2: `), and EC2 hands that console to
 * whoever may read it. A key the instance presents is trusted only when its SHA256 fingerprint is one of
 * those; rack then pins it in a known_hosts file of its own under the instance id. Pure: no I/O.
 */

export const FINGERPRINTS_BEGIN = '-----BEGIN SSH HOST KEY FINGERPRINTS-----';
export const FINGERPRINTS_END = '-----END SSH HOST KEY FINGERPRINTS-----';

/** One line of the console's block: `256 SHA256:… root@ip-10-0-0-1 (ED25519)`. */
export interface ConsoleFingerprint {
  bits: number;
  /** `SHA256:` and the unpadded base64 digest, as OpenSSH prints it. */
  fingerprint: string;
  /** OpenSSH's name of the key type: ED25519, ECDSA, RSA, … */
  type: string;
}

/** Bits, the SHA256 fingerprint, a comment (anything, even none), and the type in parentheses at the end. */
const FINGERPRINT_LINE = /(?:^|\s)(\d{2,5})\s+(SHA256:[A-Za-z0-9+/]{43})=?(?:\s.*)?\s\(([A-Z0-9-]+)\)\s*$/;

/**
 * The fingerprints of the console's last complete block (a later boot's block supersedes an earlier one),
 * or undefined when it has none: no block, a block cut short, or one without a SHA256 line (MD5 lines of
 * old images are not enough to check a key). Lines of other output interleaved in the block are skipped.
 */
export function consoleFingerprints(consoleOutput: string): ConsoleFingerprint[] | undefined {
  let block: ConsoleFingerprint[] | undefined;
  let found: ConsoleFingerprint[] | undefined;
  for (const line of consoleOutput.split(/\r\n|\r|\n/)) {
    if (line.includes(FINGERPRINTS_BEGIN)) {
      block = [];
    } else if (block !== undefined && line.includes(FINGERPRINTS_END)) {
      found = block;
      block = undefined;
    } else if (block !== undefined) {
      const match = FINGERPRINT_LINE.exec(line);
      if (match) block.push({ bits: Number(match[1]), fingerprint: match[2]!, type: match[3]! });
    }
  }
  return found !== undefined && found.length > 0 ? found : undefined;
}

/** A host key as known_hosts holds it: OpenSSH's type name and the base64 public key blob. */
export interface HostKey {
  type: string;
  key: string;
}

/**
 * The keys a known_hosts text holds for exactly `host` (one of a line's comma-separated names), or every
 * key when no host is given. Marker lines (@revoked, @cert-authority), hashed names and patterns never
 * match a plain name here, so they pin nothing.
 */
export function knownHostKeys(text: string, host?: string): HostKey[] {
  const keys: HostKey[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('@')) continue;
    const [names, type, key] = line.split(/\s+/);
    if (!names || !type || !key) continue;
    if (host !== undefined && !names.split(',').includes(host)) continue;
    keys.push({ type, key });
  }
  return keys;
}

/** A known_hosts line pinning `key` for `host`. */
export function knownHostsLine(host: string, key: HostKey): string {
  return `${host} ${key.type} ${key.key}`;
}

/** The keys whose fingerprint (computed by the caller, who has the hash) is one the console printed. */
export function keysMatchingConsole<K>(
  keys: readonly K[],
  fingerprintOf: (key: K) => string,
  console: readonly ConsoleFingerprint[],
): K[] {
  const printed = new Set(console.map((c) => c.fingerprint));
  return keys.filter((key) => printed.has(fingerprintOf(key)));
}
