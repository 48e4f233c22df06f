/**
 * EC2 for rack's instances and SSH keys: the instances' key pairs, launch times and addresses, their
 * console output (where their host key fingerprints are), and the key pairs a keyroll imports and (with
 * --prune-old) deletes. Only public keys ever reach EC2.
 */
import {
  DeleteKeyPairCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  GetConsoleOutputCommand,
  ImportKeyPairCommand,
} from '@aws-sdk/client-ec2';
import type { AwsClients } from './clients.js';
import { awsErrorName, toRackError } from './errors.js';

export interface InstanceDetails {
  instanceId: string;
  /** EC2's state: pending, running, stopping, stopped, shutting-down, terminated. */
  state: string;
  keyName?: string;
  launchedAt?: Date;
  instanceType?: string;
  availabilityZone?: string;
  privateIp?: string;
  privateDns?: string;
  publicIp?: string;
  publicDns?: string;
}

export async function describeInstances(aws: AwsClients, instanceIds: readonly string[]): Promise<InstanceDetails[]> {
  if (instanceIds.length === 0) return [];
  const ec2 = await aws.ec2();
  const found: InstanceDetails[] = [];
  try {
    // DescribeInstances takes up to 1000 ids; a group holds far fewer, but stay within it.
    for (let i = 0; i < instanceIds.length; i += 200) {
      let token: string | undefined;
      do {
        const page = await ec2.send(
          new DescribeInstancesCommand({ InstanceIds: instanceIds.slice(i, i + 200), NextToken: token }),
        );
        for (const reservation of page.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) {
            found.push({
              instanceId: instance.InstanceId ?? '',
              state: instance.State?.Name ?? 'unknown',
              keyName: instance.KeyName || undefined,
              launchedAt: instance.LaunchTime,
              instanceType: instance.InstanceType,
              availabilityZone: instance.Placement?.AvailabilityZone,
              privateIp: instance.PrivateIpAddress || undefined,
              privateDns: instance.PrivateDnsName || undefined,
              publicIp: instance.PublicIpAddress || undefined,
              publicDns: instance.PublicDnsName || undefined,
            });
          }
        }
        token = page.NextToken;
      } while (token);
    }
    return found;
  } catch (error) {
    throw toRackError(error, { doing: `describing instances ${instanceIds.join(', ')}` });
  }
}

/** The instance's console output as text ('' when EC2 has none yet); the API gives it base64-encoded. */
export async function consoleOutput(aws: AwsClients, instanceId: string): Promise<string> {
  const ec2 = await aws.ec2();
  try {
    const out = await ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId }));
    return Buffer.from(out.Output ?? '', 'base64').toString('utf8');
  } catch (error) {
    throw toRackError(error, { doing: `reading the console output of ${instanceId}` });
  }
}

export interface KeyPairInfo {
  name: string;
  id?: string;
  fingerprint?: string;
  createdAt?: Date;
}

/** Imports an OpenSSH public key line under `name`; EC2 refuses a name that exists. */
export async function importKeyPair(aws: AwsClients, name: string, publicKey: string): Promise<KeyPairInfo> {
  const ec2 = await aws.ec2();
  try {
    const out = await ec2.send(new ImportKeyPairCommand({ KeyName: name, PublicKeyMaterial: Buffer.from(publicKey) }));
    return { name: out.KeyName ?? name, id: out.KeyPairId, fingerprint: out.KeyFingerprint };
  } catch (error) {
    throw toRackError(error, { doing: `importing key pair ${name}`, untouched: 'The stack was not changed.' });
  }
}

/** Key pairs whose names are given, or all of them; a name EC2 does not know is left out. */
export async function listKeyPairs(aws: AwsClients, names?: readonly string[]): Promise<KeyPairInfo[]> {
  const ec2 = await aws.ec2();
  try {
    const filter = names ? { Filters: [{ Name: 'key-name', Values: [...names] }] } : {};
    const out = await ec2.send(new DescribeKeyPairsCommand(filter));
    return (out.KeyPairs ?? []).map((k) => ({
      name: k.KeyName ?? '',
      id: k.KeyPairId,
      fingerprint: k.KeyFingerprint,
      createdAt: k.CreateTime,
    }));
  } catch (error) {
    throw toRackError(error, { doing: 'listing key pairs' });
  }
}

export async function keyPairExists(aws: AwsClients, name: string): Promise<boolean> {
  return (await listKeyPairs(aws, [name])).some((k) => k.name === name);
}

/** Deletes a key pair; one already gone is fine. Instances launched with it keep working. */
export async function deleteKeyPair(aws: AwsClients, name: string): Promise<void> {
  const ec2 = await aws.ec2();
  try {
    await ec2.send(new DeleteKeyPairCommand({ KeyName: name }));
  } catch (error) {
    if (awsErrorName(error) === 'InvalidKeyPair.NotFound') return;
    throw toRackError(error, { doing: `deleting key pair ${name}` });
  }
}
