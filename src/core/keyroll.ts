/**
 * The keyroll's decisions, without I/O: which instances still need replacing and in what order, how many
 * must stay in service, what the preflight warns about or refuses, where a stopped keyroll resumes, and
 * how its key pairs and bucket objects are named. The service (services/keyroll.ts) reads AWS, asks
 * these, and acts.
 */
import { z } from 'zod';

/** One instance of the rack's auto-scaling group, as the keyroll sees it. */
export interface FleetMember {
  instanceId: string;
  /** The group's lifecycle state: Pending, InService, Terminating, … */
  lifecycleState: string;
  /** The group's health status: Healthy or Unhealthy. */
  healthStatus: string;
  /** The EC2 key pair the instance was launched with; undefined when none. */
  keyName?: string;
  launchedAt?: Date;
  /** Registered (ACTIVE or DRAINING) with the rack's ECS cluster. */
  registered: boolean;
}

export interface ServiceCount {
  name: string;
  desired: number;
  running: number;
}

/** An instance the group is letting go of: replacing it again would do nothing. */
export function isLeaving(member: Pick<FleetMember, 'lifecycleState'>): boolean {
  return /^(Terminating|Terminated|Detaching|Detached|Warmed)/.test(member.lifecycleState);
}

export function isInService(member: Pick<FleetMember, 'lifecycleState' | 'healthStatus'>): boolean {
  return member.lifecycleState === 'InService' && member.healthStatus === 'Healthy';
}

export function inServiceCount(members: readonly FleetMember[]): number {
  return members.filter(isInService).length;
}

/** The instances the group keeps, oldest first: the order in which they are replaced. */
export function replacementOrder(members: readonly FleetMember[]): FleetMember[] {
  const launched = (m: FleetMember) => m.launchedAt?.getTime() ?? 0;
  return members
    .filter((m) => !isLeaving(m))
    .sort((a, b) => launched(a) - launched(b) || a.instanceId.localeCompare(b.instanceId));
}

/** Instances not on `keyName`, in replacement order. */
export function stillOnOtherKey(members: readonly FleetMember[], keyName: string): FleetMember[] {
  return replacementOrder(members).filter((m) => m.keyName !== keyName);
}

/**
 * How many instances stay in service while one is replaced: all of them with a surge (the surge
 * instance stands in for the one being replaced), else all but the one being replaced.
 */
export function serviceFloor(desired: number, surge: boolean): number {
  return surge ? desired : Math.max(0, desired - 1);
}

export interface ReplacementStep {
  victim: FleetMember;
  /** Drain its container instance first, and wait for its replacement to register. */
  drain: boolean;
  /**
   * Terminate it decrementing the desired capacity: the last replacement of a surge gives the extra
   * instance back this way, so the capacity returns to what it was without an undrained scale-in.
   */
  decrement: boolean;
}

export function nextReplacement(
  members: readonly FleetMember[],
  keyName: string,
  surge: boolean,
): ReplacementStep | undefined {
  const pending = stillOnOtherKey(members, keyName);
  const victim = pending[0];
  if (!victim) return undefined;
  return { victim, drain: victim.registered, decrement: surge && pending.length === 1 };
}

// ---------------------------------------------------------------------------------------------------
// Preflight

export interface PreflightInput {
  /** Ways the stack's template breaks the rack template contract ("it lacks …"). */
  contractProblems: readonly string[];
  /** The group's AutoScalingRollingUpdate or AutoScalingReplacingUpdate policy, if it has one. */
  updatePolicy?: string;
  services: readonly ServiceCount[];
  group: { desired: number; max: number };
  surge: boolean;
  /** Instances the keyroll will replace. */
  toReplace: number;
}

export interface Preflight {
  /** Refusals no flag overrides (exit 3). */
  problems: string[];
  /** Risks the operator must accept: on a terminal by answering, elsewhere with --force. */
  warnings: string[];
  /** Services running fewer than two tasks, which see downtime when their instance goes. */
  fragileServices: ServiceCount[];
}

export function preflight(input: PreflightInput): Preflight {
  const problems = input.contractProblems.map(
    (p) => `The stack's template does not follow the rack template contract: ${p}.`,
  );
  if (input.surge && input.group.max < input.group.desired + 1) {
    problems.push(
      `--surge needs room for one more instance, but the group's maximum size is ${input.group.max} with ${input.group.desired} desired.`,
    );
  }
  const warnings: string[] = [];
  if (input.updatePolicy) {
    warnings.push(
      `The auto-scaling group has an ${input.updatePolicy} policy: CloudFormation will replace the instances itself, without draining them, when the key changes.`,
    );
  }
  // A service scaled to zero has nothing to lose.
  const fragileServices = input.toReplace > 0 ? input.services.filter((s) => s.running < 2 && s.desired > 0) : [];
  for (const s of fragileServices) {
    warnings.push(
      `Service ${s.name} runs ${s.running} task${s.running === 1 ? '' : 's'}: it will see downtime while the instances are replaced.`,
    );
  }
  return { problems, warnings, fragileServices };
}

export type PreflightDecision = 'proceed' | 'ask' | 'refuse';

/** Warnings are accepted with --force, or by answering on a terminal; otherwise the keyroll is refused. */
export function preflightDecision(
  warnings: readonly string[],
  options: { force: boolean; interactive: boolean },
): PreflightDecision {
  if (warnings.length === 0 || options.force) return 'proceed';
  return options.interactive ? 'ask' : 'refuse';
}

// ---------------------------------------------------------------------------------------------------
// Names

const RACK_KEY_STAMP = /^\d{14}-[0-9a-f]{6}$/;

/** A key pair name unique per stack and moment: `rack-<stack>-<yyyymmddhhmmss>-<6 hex>`. */
export function keyPairName(stack: string, at: Date, suffix: string): string {
  if (!/^[0-9a-f]{6}$/.test(suffix)) throw new Error(`A key pair suffix is 6 hex digits, not "${suffix}".`);
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `rack-${stack}-${stamp}-${suffix}`;
}

/** A key pair a keyroll of this stack made (and so may prune); never one of another stack's. */
export function isKeyPairOf(stack: string, name: string): boolean {
  const prefix = `rack-${stack}-`;
  return name.startsWith(prefix) && RACK_KEY_STAMP.test(name.slice(prefix.length));
}

/** Where the rack's SSH keys live in its settings bucket. */
export const ACTIVE_KEY_OBJECT = 'ssh/active.json';
export const keyObject = (keyName: string) => `ssh/${keyName}.pem`;
export const pendingKeyObject = (keyName: string) => `ssh/pending/${keyName}.pem`;

export const activeKeySchema = z.object({
  schema: z.literal(1),
  keyName: z.string().min(1),
  /** OpenSSH's `SHA256:…` fingerprint of the public key. */
  fingerprint: z.string(),
  createdAt: z.string(),
  object: z.string(),
});
export type ActiveKey = z.infer<typeof activeKeySchema>;

// ---------------------------------------------------------------------------------------------------
// Progress, for resuming

export const keyrollProgressSchema = z.object({
  schema: z.literal(1),
  rack: z.string(),
  stack: z.string(),
  keyName: z.string(),
  fingerprint: z.string(),
  /** The stack's Key before the keyroll ('' for none). */
  previousKey: z.string(),
  /**
   * importing: the key pair may exist, the private key may not be stored yet;
   * pending: key pair imported and private key stored as pending, the stack not yet updated;
   * replacing: the stack names the new key, which is active; instances are being replaced.
   */
  phase: z.enum(['importing', 'pending', 'replacing']),
  /** Set before the desired capacity is raised, so that a resumed or failed keyroll restores it. */
  surge: z.object({ originalDesired: z.number().int().nonnegative() }).optional(),
  replaced: z.array(z.object({ instanceId: z.string(), by: z.array(z.string()) })),
  startedAt: z.string(),
});
export type KeyrollProgress = z.infer<typeof keyrollProgressSchema>;

export type ResumeStep =
  /** No keyroll to continue: generate a new key. */
  | { step: 'start'; note?: string }
  /** The stack does not name the new key yet: (re)do the stack update with it. */
  | { step: 'update' }
  /** The stack names the new key: make it active (again, harmlessly) and replace instances. */
  | { step: 'replace' };

export function resumeStep(progress: KeyrollProgress | undefined, stackKey: string | undefined): ResumeStep {
  if (!progress) return { step: 'start' };
  if ((stackKey ?? '') === progress.keyName) return { step: 'replace' };
  if (progress.phase === 'replacing') {
    return {
      step: 'start',
      note: `The stack's Key is no longer ${progress.keyName}, which the stopped keyroll had set; a new keyroll starts.`,
    };
  }
  return { step: 'update' };
}
