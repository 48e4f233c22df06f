/**
 * The SSH host keys an instance's console output shows (the `console-host-keys` correction): moto's
 * instances have none, so a test gives one the host key of its loopback SSH server, and GetConsoleOutput
 * then prints its fingerprint as cloud-init does at first boot. No keys: a boot log without the block.
 */
import type { LocalAws } from './localAws.js';

/** Sets the instance's host keys (OpenSSH public key lines); answers the fingerprint lines its console prints. */
export async function setConsoleHostKeys(
  aws: LocalAws,
  instanceId: string,
  publicKeys: readonly string[],
  { region = aws.region }: { region?: string } = {},
): Promise<string[]> {
  // Straight to moto: a harness route, not an AWS call, so never through the fault proxy.
  const response = await fetch(`${aws.motoEndpoint}/_harness/console-host-keys`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ instanceId, publicKeys, region }),
  });
  const answer = (await response.json()) as { fingerprints?: string[]; error?: string };
  if (!response.ok || answer.fingerprints === undefined) {
    throw new Error(`Harness: no host keys for ${instanceId}: ${answer.error ?? `HTTP ${response.status}`}`);
  }
  return answer.fingerprints;
}
