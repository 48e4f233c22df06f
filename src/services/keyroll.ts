/**
 * `rack instances keyroll`: a new SSH key for the rack's instances, and the instances replaced so that
 * every one of them runs it.
 *
 *   preflight  → contract, --surge room, services that will see downtime, a replacing update policy
 *   key        → ed25519 pair generated here, public key imported into EC2, private key stored pending
 *   update     → only the stack's Key parameter changed, through prepareWrite/applyWrite, and followed
 *   promote    → the pending key becomes the active one (only now: a failed update removes it instead)
 *   replace    → instances on another key replaced one at a time, never below the service floor
 *
 * Progress is kept in the state store, so a keyroll stopped anywhere (Ctrl-C, a crash, a timeout)
 * continues where it stopped when run again. History records names and counts, never key material.
 */
import { randomBytes } from 'node:crypto';
import { deleteKeyPair, describeInstances, importKeyPair, keyPairExists, listKeyPairs } from '../aws/ec2.js';
import { objectExists, type SettingsBucket } from '../aws/keys.js';
import { describeGroup, describeServices, setDesiredCapacity } from '../aws/fleet.js';
import { currentTemplateBody } from '../aws/changeSets.js';
import type { Context } from '../context.js';
import { internalError, isInterrupted, isRackError, RackError, refused, type RackErrorOptions } from '../errors.js';
import {
  inServiceCount,
  isKeyPairOf,
  isLeaving,
  keyPairName,
  keyrollProgressSchema,
  nextReplacement,
  pendingKeyObject,
  preflight,
  preflightDecision,
  replacementOrder,
  resumeStep,
  serviceFloor,
  stillOnOtherKey,
  type KeyrollProgress,
  type ResumeStep,
  type ServiceCount,
} from '../core/keyroll.js';
import { contractProblems, replacingUpdatePolicy } from '../core/rackContract.js';
import { stackStateKey } from '../core/stackIdentity.js';
import type { WriteOutcome } from '../core/stackStatus.js';
import { parseTemplate } from '../core/template.js';
import { resolveRack, type Rack } from '../state/registry.js';
import { healthTimeoutMs } from './health.js';
import { fleetSnapshot, pollUntil, readRackFleet, replaceInstance, type RackFleet } from './instances.js';
import type { OperationHooks } from './hooks.js';
import { withOperation, type Operation } from './operation.js';
import {
  deleteStoredKey,
  discardPendingKey,
  generateKey,
  promoteKey,
  readActiveKey,
  settingsOf,
  stackKey,
  storePendingKey,
} from './rackKeys.js';
import { executeWrite, failedWrite, nothingToChange, prepareWrite, writeFailed } from './stackWrite.js';
import { isLostSight } from './stackWait.js';

export interface KeyrollRequest {
  rack?: string;
  /** Accept the preflight warnings without being asked. */
  force?: boolean;
  /** Raise the desired capacity by one for the duration, so that every instance stays in service. */
  surge?: boolean;
  /** Delete the rack's older key pairs (and their stored private keys) once no instance uses them. */
  pruneOld?: boolean;
}

export interface KeyrollPlan {
  rack: Rack;
  /** The stack's Key now ('' for none). */
  currentKey: string;
  /** Set when a stopped keyroll is continued. */
  resuming?: { keyName: string; startedAt: string; replaced: number; stackUpdated: boolean };
  /** The instances to replace, oldest first. */
  instances: { instanceId: string; keyName?: string; registered: boolean }[];
  desired: number;
  /** Instances kept in service throughout. */
  floor: number;
  surge: boolean;
  pruneOld: boolean;
  warnings: string[];
  fragileServices: ServiceCount[];
  /** The warnings still need the operator's yes: a terminal and no --force. */
  mustAcknowledge: boolean;
}

export interface KeyrollOutcome {
  rack: string;
  keyName: string;
  fingerprint: string;
  previousKey: string;
  replaced: { instanceId: string; by: string[] }[];
  pruned: string[];
  resumed: boolean;
  durationMs: number;
}

/** What a keyroll stopped before its stack switched to the new key leaves behind. */
const NEW_KEY_REMOVED =
  'The old key stays active; the new key pair and its private key were removed; no instance was touched.';

const progressKey = (rack: Rack) => `keyroll/${stackStateKey(rack)}.json`;

async function readKeyrollProgress(ctx: Context, rack: Rack): Promise<KeyrollProgress | undefined> {
  const stored = await ctx.state.get(progressKey(rack));
  if (!stored) return undefined;
  const parsed = keyrollProgressSchema.safeParse(JSON.parse(stored.text));
  if (!parsed.success) {
    throw internalError(`The keyroll progress in ${ctx.state.describe(progressKey(rack))} cannot be read.`, {
      untouched: 'It was left as it is.',
      next: 'Move it away to start a new keyroll.',
    });
  }
  return parsed.data;
}

async function saveProgress(ctx: Context, rack: Rack, progress: KeyrollProgress): Promise<void> {
  const key = progressKey(rack);
  const current = await ctx.state.get(key);
  if (!(await ctx.state.put(key, `${JSON.stringify(progress, null, 2)}\n`, current?.version ?? null))) {
    throw internalError(`Could not save the keyroll progress in ${ctx.state.describe(key)}: it changed meanwhile.`);
  }
}

async function clearProgress(ctx: Context, rack: Rack): Promise<void> {
  const current = await ctx.state.get(progressKey(rack));
  if (current) await ctx.state.delete(progressKey(rack), current.version);
}

interface Target {
  fleet: RackFleet;
  settings: SettingsBucket;
}

/**
 * The whole keyroll as one operation: what a stopped keyroll left is picked up (its stack update followed
 * to its end by recovery), preflight, `hooks.confirm` (shows the plan and asks), then the work. The new key
 * is discarded only when CloudFormation proves the stack never switched to it; in every other case the
 * key pair, its private key and the progress stay, and the next `rack instances keyroll` resumes.
 */
export async function runKeyroll(
  ctx: Context,
  request: KeyrollRequest,
  hooks: OperationHooks<KeyrollPlan>,
): Promise<KeyrollOutcome> {
  const rack = await resolveRack(ctx.state, request.rack);
  return withOperation(
    ctx,
    rack,
    'keyroll',
    async (op) => {
      const fleet = await readRackFleet(ctx, op.rack);
      const target: Target = { fleet, settings: settingsOf(op.rack, fleet.stack) };
      let progress = await readKeyrollProgress(ctx, op.rack);
      const attached = op.recovery.attached;
      if (progress && attached?.marker.operation === 'keyroll' && progress.phase !== 'replacing') {
        await settleStoppedUpdate(ctx, target, progress, attached.outcome);
      }
      const resume = resumeStep(progress, stackKey(fleet.stack));
      if (resume.step === 'start' && progress) {
        // The stack's Key changed outside rack after the stopped keyroll set it: that keyroll is over.
        if (resume.note) ctx.events.emit({ type: 'warning', text: resume.note });
        await clearProgress(ctx, op.rack);
        progress = undefined;
      }
      const plan = await planKeyroll(ctx, target, request, progress, resume);
      await hooks.confirm(plan);
      return executeKeyroll(op, target, plan, progress, resume);
    },
    { onAttach: hooks.onAttach },
  );
}

/**
 * A keyroll's stack update that an earlier process started and this run followed to its end: rolled back,
 * the key it would have brought never took effect and is removed (exit 6); a failed rollback leaves the
 * stack's Key uncertain, so the key stays (exit 6, naming `rollback --continue`).
 */
async function settleStoppedUpdate(
  ctx: Context,
  target: Target,
  progress: KeyrollProgress,
  outcome: WriteOutcome,
): Promise<void> {
  if (outcome.type === 'rolled-back') {
    await discardNewKey(ctx, target, progress);
    throw amend(writeFailed(target.fleet.rack, outcome, "The keyroll's stack update that an earlier run started"), {
      untouched: NEW_KEY_REMOVED,
    });
  }
  if (outcome.type === 'rollback-failed' || outcome.type === 'failed') {
    throw writeFailed(target.fleet.rack, outcome, "The keyroll's stack update that an earlier run started");
  }
}

async function planKeyroll(
  ctx: Context,
  target: Target,
  request: KeyrollRequest,
  progress: KeyrollProgress | undefined,
  resume: ResumeStep,
): Promise<KeyrollPlan> {
  const { fleet } = target;
  const template = parseTemplate(
    await currentTemplateBody(fleet.aws, fleet.stack.name),
    `the template of ${fleet.stack.name}`,
  );
  const snapshot = await fleetSnapshot(fleet);
  const services = fleet.cluster ? await describeServices(fleet.aws, fleet.cluster) : [];
  const surge = Boolean(progress?.surge) || Boolean(request.surge);
  // A new key is on no instance yet: every instance is replaced.
  const toReplace =
    resume.step === 'replace' && progress
      ? stillOnOtherKey(snapshot.members, progress.keyName)
      : replacementOrder(snapshot.members);
  const desired = progress?.surge?.originalDesired ?? snapshot.group.desired;
  const checked = preflight({
    contractProblems: contractProblems(template),
    updatePolicy: replacingUpdatePolicy(template),
    services,
    group: { desired: snapshot.group.desired, max: snapshot.group.max },
    // A surge already under way has its room.
    surge: surge && !progress?.surge,
    toReplace: toReplace.length,
  });
  if (checked.problems.length > 0) {
    throw refused(`The keyroll of ${fleet.rack.name} was refused.`, {
      problems: checked.problems,
      untouched: 'Nothing was changed.',
      next: 'Correct what is named above and run the keyroll again.',
    });
  }
  const decision = preflightDecision(checked.warnings, { force: Boolean(request.force), interactive: ctx.interactive });
  if (decision === 'refuse') {
    throw refused(
      `The keyroll of ${fleet.rack.name} has ${checked.warnings.length} preflight warning${checked.warnings.length === 1 ? '' : 's'}.`,
      {
        problems: checked.warnings,
        untouched: 'Nothing was changed.',
        next: 'Run it on a terminal to confirm, or pass --force to accept them (for no downtime, run at least two tasks of each service first).',
        details: { warnings: checked.warnings, fragileServices: checked.fragileServices },
      },
    );
  }
  return {
    rack: fleet.rack,
    currentKey: stackKey(fleet.stack),
    resuming: progress
      ? {
          keyName: progress.keyName,
          startedAt: progress.startedAt,
          replaced: progress.replaced.length,
          stackUpdated: resume.step === 'replace',
        }
      : undefined,
    instances: toReplace.map((m) => ({ instanceId: m.instanceId, keyName: m.keyName, registered: m.registered })),
    desired,
    floor: serviceFloor(desired, surge),
    surge,
    pruneOld: Boolean(request.pruneOld),
    warnings: checked.warnings,
    fragileServices: checked.fragileServices,
    mustAcknowledge: decision === 'ask',
  };
}

async function executeKeyroll(
  op: Operation,
  target: Target,
  plan: KeyrollPlan,
  saved: KeyrollProgress | undefined,
  resume: ResumeStep,
): Promise<KeyrollOutcome> {
  const { ctx } = op;
  const { rack } = plan;
  const { fleet } = target;
  const journal = await op.begin();
  let progress = resume.step === 'start' ? undefined : saved;
  const note = () => {
    const replaced = progress?.replaced.length ?? 0;
    return progress
      ? `key pair ${progress.keyName}${progress.previousKey ? ` replacing ${progress.previousKey}` : ''}; ${replaced} instance${replaced === 1 ? '' : 's'} replaced${saved ? '; resumed' : ''}`
      : undefined;
  };

  if (resume.step !== 'replace') {
    let outcome: WriteOutcome;
    try {
      progress = await readyKey(op, target, progress);
      ctx.events.emit({ type: 'step', text: `Setting the Key of ${rack.stack} to ${progress.keyName}.` });
      outcome = await updateStackKey(op, target, progress);
    } catch (error) {
      // Stopped before the stack switched: what was made for the new key is gone again (readyKey, updateStackKey).
      if (isRackError(error) && !isLostSight(error) && !op.inFlight) {
        throw amend(error, { untouched: NEW_KEY_REMOVED });
      }
      throw error;
    }
    if (outcome.type !== 'succeeded') {
      // Rolled back: the stack never switched, the new key goes. A failed rollback proves nothing: it stays.
      if (outcome.type === 'rolled-back') await discardNewKey(ctx, target, progress);
      const failed = await failedWrite(op, outcome, `The keyroll's update of ${rack.name}`, note());
      throw outcome.type === 'rolled-back'
        ? amend(failed, { untouched: NEW_KEY_REMOVED })
        : amend(failed, {
            untouched: `The new key pair ${progress.keyName} and its private key are kept: the stack may name it.`,
          });
    }
  }
  if (!progress) throw new Error('keyroll: no progress after the stack update');

  const current = progress;
  try {
    op.beforeWrite(`making ${current.keyName} the active key`);
    await promoteKey(ctx, fleet.aws, target.settings, current);
    await journal.step('key-promoted', current.keyName);
    if (current.phase !== 'replacing') {
      current.phase = 'replacing';
      await saveProgress(ctx, rack, current);
    }
    ctx.events.emit({
      type: 'step',
      text: `Key pair ${current.keyName} is active; replacing the instances on other keys.`,
    });
    await replaceAll(op, target, current, plan.surge);
    const pruned = plan.pruneOld ? await pruneOldKeys(op, target, current.keyName) : [];
    await clearProgress(ctx, rack);
    await journal.finish('succeeded', { note: note() });
    return {
      rack: rack.name,
      keyName: current.keyName,
      fingerprint: current.fingerprint,
      previousKey: current.previousKey,
      replaced: current.replaced,
      pruned,
      resumed: saved !== undefined,
      durationMs: ctx.clock.now().getTime() - journal.startedAt.getTime(),
    };
  } catch (error) {
    if (isInterrupted(error) || (error as RackError)?.kind === 'busy') {
      await journal.finish('interrupted', { cause: (error as Error).message, note: note() });
      throw resumable(error as RackError, rack, current);
    }
    if (current.surge) {
      await giveBackSurge(op, target, current).catch((restore: unknown) => {
        ctx.events.emit({
          type: 'warning',
          text: `Could not restore the desired capacity of ${fleet.group}: ${(restore as Error).message}`,
        });
      });
    }
    await journal.finish('failed', { cause: (error as Error).message, note: note() });
    throw error;
  }
}

function resumable(error: RackError, rack: Rack, progress?: KeyrollProgress): RackError {
  const surge = progress?.surge
    ? ` The desired capacity stays one above ${progress.surge.originalDesired} until then.`
    : '';
  return amend(error, {
    next: `Run \`rack instances keyroll --rack ${rack.name}\` again: it continues where this one stopped.${surge}`,
  });
}

function amend(error: RackError, changes: Pick<RackErrorOptions, 'untouched' | 'next'>): RackError {
  return new RackError(error.kind, error.message, {
    untouched: changes.untouched ?? error.untouched,
    next: changes.next ?? error.next,
    problems: error.problems,
    details: error.details,
    cause: error.cause,
    exitCode: error.exitCode,
  });
}

/**
 * A key pair imported into EC2 and its private key stored as pending, ready for the stack update:
 * the stopped keyroll's, when both are still there, else a new one.
 */
async function readyKey(
  op: Operation,
  target: Target,
  progress: KeyrollProgress | undefined,
): Promise<KeyrollProgress> {
  const { ctx } = op;
  const { fleet, settings } = target;
  if (progress) {
    const intact =
      progress.phase === 'pending' &&
      (await keyPairExists(fleet.aws, progress.keyName)) &&
      (await objectExists(fleet.aws, settings.bucket, pendingKeyObject(progress.keyName)));
    if (intact) return progress;
    // The stack does not name it (resumeStep said so): removing it is safe.
    await discardNewKey(ctx, target, progress);
  }
  const now = ctx.clock.now();
  const keyName = keyPairName(fleet.stack.name, now, randomBytes(3).toString('hex'));
  const key = generateKey(ctx, keyName);
  const fresh: KeyrollProgress = {
    schema: 1,
    rack: fleet.rack.name,
    stack: fleet.stack.name,
    keyName,
    fingerprint: key.fingerprint,
    previousKey: stackKey(fleet.stack),
    phase: 'importing',
    replaced: [],
    startedAt: now.toISOString(),
  };
  // Saved before the import, so that a keyroll stopped right after it still knows what to remove.
  await saveProgress(ctx, fleet.rack, fresh);
  await op.journal?.step('key-generated', keyName);
  try {
    op.beforeWrite(`importing key pair ${keyName}`);
    await importKeyPair(fleet.aws, keyName, key.publicKey);
    await op.journal?.step('key-imported', `${keyName} (${key.fingerprint})`);
    ctx.events.emit({ type: 'step', text: `Imported key pair ${keyName} (${key.fingerprint}).` });
    op.beforeWrite(`storing the private key of ${keyName}`);
    await storePendingKey(fleet.aws, settings, keyName, key.privateKey);
    await op.journal?.step('key-stored', pendingKeyObject(keyName));
    fresh.phase = 'pending';
    await saveProgress(ctx, fleet.rack, fresh);
    return fresh;
  } catch (error) {
    // The stack has never named this key: nothing is lost by removing it.
    await discardNewKey(ctx, target, fresh).catch(() => undefined);
    await op.journal?.step('key-discarded', keyName);
    throw error;
  }
}

/** Removes a key that never became active: its pending private key, its key pair, the progress. */
async function discardNewKey(ctx: Context, target: Target, progress: KeyrollProgress): Promise<void> {
  await discardPendingKey(target.fleet.aws, target.settings, progress.keyName);
  await deleteKeyPair(target.fleet.aws, progress.keyName);
  await clearProgress(ctx, target.fleet.rack);
  ctx.events.emit({
    type: 'step',
    text: `Removed key pair ${progress.keyName} and its pending private key; the old key stays active.`,
  });
}

/**
 * Changes only the stack's Key, through the safety layer. Until the change set is executed, any stop removes
 * the new key (the stack never named it); once it is, the key is kept whatever happens to rack — lost sight
 * of the update included — and the caller acts on the outcome CloudFormation reports.
 */
async function updateStackKey(op: Operation, target: Target, progress: KeyrollProgress): Promise<WriteOutcome> {
  const { ctx } = op;
  const { rack } = target.fleet;
  try {
    const prepared = await prepareWrite(op, {
      rack: op.rack,
      target: { usePrevious: true },
      userChanges: { Key: progress.keyName },
      purpose: 'keyroll',
    });
    if (nothingToChange(prepared)) return { type: 'succeeded', status: prepared.stack.status };
    return (await executeWrite(op, prepared)).outcome;
  } catch (error) {
    if (!isLostSight(error) && !op.inFlight) {
      await discardNewKey(ctx, target, progress).catch((discard: unknown) =>
        ctx.events.emit({
          type: 'warning',
          text: `could not remove the unused key pair ${progress.keyName}: ${(discard as Error).message}; the next keyroll of ${rack.name} does`,
        }),
      );
      await op.journal?.step('key-discarded', progress.keyName);
    }
    throw error;
  }
}

/** Replaces every instance not on the new key, one at a time, never going below the service floor. */
async function replaceAll(op: Operation, target: Target, progress: KeyrollProgress, surge: boolean): Promise<void> {
  const { ctx } = op;
  const { fleet } = target;
  const timeoutMs = healthTimeoutMs(ctx.env);
  const group = await describeGroup(fleet.aws, fleet.group);
  let remaining = stillOnOtherKey((await fleetSnapshot(fleet)).members, progress.keyName);
  if (surge && !progress.surge && remaining.length > 0) {
    progress.surge = { originalDesired: group.desired };
    await saveProgress(ctx, fleet.rack, progress);
    op.beforeWrite(`raising the desired capacity of ${fleet.group}`);
    await setDesiredCapacity(fleet.aws, fleet.group, group.desired + 1);
    await op.journal?.step('surge-raised', `${group.desired} → ${group.desired + 1}`);
    ctx.events.emit({
      type: 'step',
      text: `Surge: desired capacity of ${fleet.group} raised from ${group.desired} to ${group.desired + 1}.`,
    });
  }

  for (;;) {
    const inService = progress.surge
      ? progress.surge.originalDesired + 1
      : (await describeGroup(fleet.aws, fleet.group)).desired;
    // Only take an instance out when every desired one is in service: that is what keeps the floor.
    const snapshot = await pollUntil(
      ctx,
      `${inService} instances of ${fleet.group} to be in service`,
      () => fleetSnapshot(fleet),
      (s) => inServiceCount(s.members) >= inService,
      {
        timeoutMs,
        untouched: `Instances still on other keys: ${
          stillOnOtherKey(remaining, progress.keyName)
            .map((m) => m.instanceId)
            .join(', ') || 'none'
        }.`,
      },
    );
    remaining = stillOnOtherKey(snapshot.members, progress.keyName);
    const step = nextReplacement(snapshot.members, progress.keyName, Boolean(progress.surge));
    if (!step) break;
    const replaced = await replaceInstance(ctx, fleet, step, {
      timeoutMs,
      beforeWrite: (what) => op.beforeWrite(what),
      checkReplacement: (ids) => requireNewKey(target, progress, ids),
    });
    progress.replaced.push(replaced);
    if (step.decrement) progress.surge = undefined;
    await saveProgress(ctx, fleet.rack, progress);
    await op.journal?.step(
      'instance-replaced',
      `${replaced.instanceId} → ${replaced.by.join(', ') || '(capacity given back)'}`,
    );
  }
  if (progress.surge) await giveBackSurge(op, target, progress);
}

/** A replacement launched without the new key means the group does not launch from the updated template. */
async function requireNewKey(target: Target, progress: KeyrollProgress, ids: string[]): Promise<void> {
  const { fleet } = target;
  const wrong = (await describeInstances(fleet.aws, ids)).filter((d) => d.keyName !== progress.keyName);
  if (wrong.length === 0) return;
  const still = stillOnOtherKey((await fleetSnapshot(fleet)).members, progress.keyName).map((m) => m.instanceId);
  throw internalError(
    `Replacement ${wrong.map((d) => `${d.instanceId} came up with key pair ${d.keyName ?? '(none)'}`).join('; ')}, not ${progress.keyName}; the keyroll stopped.`,
    {
      untouched: `Instances still on the old key: ${still.join(', ') || 'none'}.`,
      next: `Check that ${fleet.group} launches from the launch template version the keyroll's update made, then run \`rack instances keyroll --rack ${fleet.rack.name}\` again to continue.`,
      details: { stillOnOldKey: still },
    },
  );
}

/**
 * Gives back the surge instance: one instance (one still on an old key when there is one) drained and
 * terminated with the desired capacity decremented; if that cannot be done, the capacity is set back.
 */
async function giveBackSurge(op: Operation, target: Target, progress: KeyrollProgress): Promise<void> {
  const { ctx } = op;
  const { fleet } = target;
  const original = progress.surge?.originalDesired;
  if (original === undefined) return;
  const snapshot = await fleetSnapshot(fleet);
  if (snapshot.group.desired > original) {
    const alive = snapshot.members.filter((m) => !isLeaving(m));
    const victim = stillOnOtherKey(alive, progress.keyName)[0] ?? alive.at(-1);
    try {
      if (!victim) throw new Error('no instance to give back');
      await replaceInstance(
        ctx,
        fleet,
        { victim, drain: victim.registered, decrement: true },
        { timeoutMs: healthTimeoutMs(ctx.env), beforeWrite: (what) => op.beforeWrite(what) },
      );
    } catch (error) {
      if (isInterrupted(error)) throw error;
      op.beforeWrite(`setting the desired capacity of ${fleet.group} back to ${original}`);
      await setDesiredCapacity(fleet.aws, fleet.group, original);
    }
  }
  ctx.events.emit({ type: 'step', text: `Surge over: desired capacity of ${fleet.group} back to ${original}.` });
  progress.surge = undefined;
  await saveProgress(ctx, fleet.rack, progress);
  await op.journal?.step('surge-returned', `${fleet.group} back to ${original}`);
}

/** The rack's own older key pairs that no instance of the group still uses, with their stored keys. */
async function pruneOldKeys(op: Operation, target: Target, keep: string): Promise<string[]> {
  const { ctx } = op;
  const { fleet, settings } = target;
  const active = await readActiveKey(fleet.aws, settings);
  const inUse = new Set((await fleetSnapshot(fleet)).members.map((m) => m.keyName));
  const old = (await listKeyPairs(fleet.aws))
    .map((k) => k.name)
    .filter(
      (name) => isKeyPairOf(fleet.stack.name, name) && name !== keep && name !== active?.keyName && !inUse.has(name),
    );
  for (const name of old) {
    op.beforeWrite(`pruning key pair ${name}`);
    await deleteKeyPair(fleet.aws, name);
    await deleteStoredKey(fleet.aws, settings, name);
    ctx.events.emit({ type: 'step', text: `Pruned key pair ${name}.` });
  }
  if (old.length > 0) await op.journal?.step('keys-pruned', old.join(', '));
  return old;
}

/** The one sentence the CLI and the dashboard say when a keyroll ends. */
export function keyrollSummary(outcome: KeyrollOutcome): string {
  const replaced = outcome.replaced.length;
  return `Rack ${outcome.rack} now uses key pair ${outcome.keyName} (${outcome.fingerprint}); ${replaced} instance${replaced === 1 ? '' : 's'} replaced in ${(outcome.durationMs / 1000).toFixed(1)}s${outcome.resumed ? ', continuing a stopped keyroll' : ''}.`;
}
