/**
 * `rack install`: a new rack from a release. The release's template is fetched and its digest verified
 * before anything else; every parameter is checked by the safety layer against an empty stack, so a
 * missing or invalid value is refused before any write. Only then is the stack created, followed to its
 * end, and the rack registered with its history started.
 */
import { noEchoKeysFromSummary } from '../aws/changeSets.js';
import { findStack } from '../aws/cloudformation.js';
import type { AwsClients } from '../aws/clients.js';
import { assertRegion } from '../aws/errors.js';
import { createStack, type StackTemplate } from '../aws/stacks.js';
import type { Context } from '../context.js';
import { RackError, refused, updateFailed, usageError } from '../errors.js';
import { generatedSecrets } from '../core/generatedSecrets.js';
import { planInstallParameters, type InstallParameter } from '../core/installParameters.js';
import type { CloudFormationParameter } from '../core/parameterPlan.js';
import { isAsteriskOnly } from '../core/redact.js';
import { requireRackContract } from '../core/rackContract.js';
import { finalOutcome, outcomeCause, outcomeResult } from '../core/stackStatus.js';
import { generateSecret } from './secrets.js';
import {
  constraintViolations,
  mergeNoEchoFromSummary,
  noEchoKeysOf,
  parseTemplate,
  type ParameterDeclaration,
} from '../core/template.js';
import { installTarget } from '../core/upgradePath.js';
import { RACK_NAME, RACK_NAME_RULE } from '../core/rackName.js';
import type { HistoryEntry } from '../state/history.js';
import { addRack, listRacks, type Rack } from '../state/registry.js';
import { RACK_VERSION } from '../version.js';
import type { OperationHooks } from './hooks.js';
import { withOperation, type Operation } from './operation.js';
import { fetchReleaseTemplate, findChannel, loadChannels } from './releases.js';
import { followStarted, isLostSight } from './stackWait.js';
import { sendableTemplate } from './templateTransport.js';

export interface InstallRequest {
  name: string;
  stack: string;
  region?: string;
  profile?: string;
  /** The channel to take the release from (unless --version) and to pin the rack to; default stable. */
  channel?: string;
  version?: string;
  params?: Record<string, string>;
  /** Turn on the stack's termination protection. */
  protect?: boolean;
  roleArn?: string;
}

export type { InstallParameter, InstallValueSource } from '../core/installParameters.js';

export interface InstallPlan {
  /** The rack as it will be registered once the stack is created. */
  rack: Rack;
  channel: string;
  release: { version: string; notes: string; sha256: string };
  parameters: InstallParameter[];
  templateBytes: number;
  /** How CloudFormation gets the template: inline, or from the artifacts bucket (too large for inline). */
  templateVia: 'body' | 'artifacts-bucket';
  terminationProtection: boolean;
  warnings: string[];
}

export interface PreparedInstall {
  plan: InstallPlan;
  body: string;
  /** Contains secrets: never shown, logged or stored. */
  parameters: CloudFormationParameter[];
}

export interface InstallOutcome {
  rack: Rack;
  version: string;
  stackId: string;
  status: string;
  templateUrl?: string;
  durationMs: number;
}

/** Everything checked and every value known; nothing written. Asks for missing values on a terminal. */
async function prepareInstall(op: Operation, request: InstallRequest, rack: Rack): Promise<PreparedInstall> {
  const { ctx } = op;
  const params = request.params ?? {};
  if (Object.hasOwn(params, 'Version')) {
    throw refused('Version cannot be given with --param: it is the release rack installs.', {
      untouched: 'Nothing was created.',
      next: 'Choose the release with --version <version> or --channel <channel>.',
    });
  }
  if ((await listRacks(ctx.state)).some((r) => r.name === rack.name)) {
    throw usageError(`A rack named "${rack.name}" is already registered.`, {
      untouched: 'Nothing was created.',
      next: `Choose another name, or see it with \`rack racks show ${rack.name}\`.`,
    });
  }

  // The template is verified before any AWS call: a tampered release must not even be looked at by AWS.
  const loaded = await loadChannels(ctx, { forWrite: true });
  const channel = findChannel(loaded, rack.channel);
  const { release, warnings } = installTarget({
    catalog: loaded.catalog,
    channel,
    version: request.version,
    channelNamed: request.channel !== undefined,
    cliVersion: RACK_VERSION,
  });
  const fetched = await fetchReleaseTemplate(ctx, loaded, release, rack);
  const parsed = parseTemplate(fetched.body, `release ${release.version}`);
  requireRackContract(parsed, release.version, 'Nothing was created.');

  const aws = ctx.aws(rack);
  if (await findStack(aws, rack.stack)) {
    throw usageError(`Stack "${rack.stack}" already exists in ${rack.region}.`, {
      untouched: 'Nothing was created; the existing stack was left as it is.',
      next: `Choose another --stack, or register the existing stack with \`rack racks add ${rack.name} --stack ${rack.stack}\`.`,
    });
  }
  const bytes = Buffer.byteLength(fetched.body, 'utf8');
  // A template too large to pass inline is uploaded now, to read its summary: a write, so it is recorded.
  const sent = await sendableTemplate(ctx, aws, { ...fetched, origin: `release ${release.version}` }, async (what) => {
    op.beforeWrite(what);
    await op.begin({ to: release.version, channel: rack.channel });
  });
  const summary = await noEchoKeysFromSummary(aws, sent);
  const declarations = mergeNoEchoFromSummary(parsed.parameters, summary);
  const noEchoKeys = noEchoKeysOf(declarations, summary);

  const generated = generatedSecrets(loaded.migrations, release.version, declarations, params, generateSecret);
  const values: Record<string, string> = {
    ...params,
    ...Object.fromEntries([...generated].map(([key, g]) => [key, g.value])),
  };
  for (const value of [...generated.values()].map((g) => g.value)) ctx.logger.addSecret(value);
  for (const key of noEchoKeys) ctx.logger.addSecret(values[key]);
  const prompted = await askForMissing(ctx, declarations, noEchoKeys, values, release.version);

  const planned = planInstallParameters({
    rack: rack.name,
    version: release.version,
    declarations,
    noEchoKeys,
    values,
    generated,
    prompted,
  });
  warnings.push(...planned.warnings);

  return {
    plan: {
      rack,
      channel: rack.channel,
      release: { version: release.version, notes: release.notes, sha256: fetched.sha256 },
      parameters: planned.shown,
      templateBytes: bytes,
      templateVia: 'url' in sent ? 'artifacts-bucket' : 'body',
      terminationProtection: request.protect === true,
      warnings,
    },
    body: fetched.body,
    parameters: planned.parameters,
  };
}

function rackToRegister(ctx: Context, request: InstallRequest): Rack {
  if (!RACK_NAME.test(request.name)) {
    throw usageError(`"${request.name}" is not a valid rack name.`, { next: `Use ${RACK_NAME_RULE}.` });
  }
  if (!/^[a-zA-Z][-a-zA-Z0-9]{0,127}$/.test(request.stack)) {
    throw usageError(`"${request.stack}" is not a valid stack name.`, {
      next: 'A stack name starts with a letter and has only letters, digits and "-", at most 128 characters.',
    });
  }
  const region = request.region ?? ctx.defaultRegion();
  assertRegion(region);
  const profile = request.profile ?? ctx.options.profile;
  return {
    name: request.name,
    stack: request.stack,
    region,
    ...(profile ? { profile } : {}),
    channel: request.channel ?? 'stable',
    ...(request.roleArn ? { roleArn: request.roleArn } : {}),
    addedAt: ctx.clock.now().toISOString(),
  };
}

/** Required parameters (no default, no value): asked for on a terminal, up to three tries each, hidden when NoEcho. */
async function askForMissing(
  ctx: Context,
  declarations: readonly ParameterDeclaration[],
  noEchoKeys: readonly string[],
  values: Record<string, string>,
  version: string,
): Promise<Set<string>> {
  const prompted = new Set<string>();
  if (!ctx.interactive || ctx.options.yes) return prompted;
  const missing = declarations.filter(
    (d) => d.key !== 'Version' && d.default === undefined && !Object.hasOwn(values, d.key),
  );
  for (const declaration of missing) {
    const secret = noEchoKeys.includes(declaration.key) || declaration.noEcho;
    const question = `${declaration.key}${declaration.description ? ` (${declaration.description})` : ''}${secret ? ', hidden' : ''}: `;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const answer = await ctx.prompts.text(question, { secret });
      if (secret) ctx.logger.addSecret(answer);
      const problems =
        secret && isAsteriskOnly(answer)
          ? ['the value is only asterisks, which is how CloudFormation masks a secret']
          : constraintViolations(declaration, answer, {
              subject: secret ? 'the value' : JSON.stringify(answer),
              secret,
            });
      if (problems.length === 0) {
        values[declaration.key] = answer;
        prompted.add(declaration.key);
        break;
      }
      ctx.logger.warn(`${declaration.key}: ${problems.join('; ')}.`);
      if (attempt === 3) {
        throw refused(`No valid value for ${declaration.key} after three tries.`, {
          problems: problems.map((p) => `${declaration.key}: ${p}`),
          untouched: 'Nothing was created.',
          next: `Run the command again, or give it with --param ${declaration.key}=<value> (release ${version}).`,
        });
      }
    }
  }
  return prompted;
}

/** Creates the stack, follows it and registers the rack. Inside the install's operation, its journal open. */
async function executeInstall(op: Operation, prepared: PreparedInstall): Promise<InstallOutcome> {
  const { ctx } = op;
  const { plan } = prepared;
  const { rack } = plan;
  const aws = ctx.aws(rack);
  const journal = op.journal!;
  // Checked again under the lock: another process may have taken the name meanwhile.
  if ((await listRacks(ctx.state)).some((r) => r.name === rack.name)) {
    throw usageError(`A rack named "${rack.name}" was registered meanwhile.`, { untouched: 'Nothing was created.' });
  }
  const template = await templateFor(op, aws, prepared);

  ctx.events.emit({
    type: 'step',
    text: `Creating stack ${rack.stack} in ${rack.region} from release ${plan.release.version}.`,
  });
  op.beforeWrite(`creating stack ${rack.stack}`);
  const stackId = await op.startInFlight(
    { operation: 'install', to: plan.release.version, channel: plan.channel },
    () =>
      createStack(aws, {
        stackName: rack.stack,
        template,
        parameters: prepared.parameters,
        tags: { 'rack:name': rack.name, 'rack:version': plan.release.version, 'rack:operation': journal.id },
        terminationProtection: plan.terminationProtection,
        roleArn: rack.roleArn,
      }),
  );
  await journal.step('stack-create-requested', stackId);

  const result = await followStarted(ctx, aws, journal, {
    rack: rack.name,
    stackName: stackId,
    startedAt: journal.startedAt,
  }).catch((error: unknown) => {
    throw isLostSight(error) ? amendInstallStop(error as RackError, rack) : error;
  });
  await journal.step('final-status', result.status);
  await op.clearInFlight();

  const outcome = finalOutcome('create', result);
  if (outcome.type !== 'succeeded') {
    const cause = outcomeCause(outcome);
    await journal.finish(outcomeResult(outcome), { cause });
    throw updateFailed(`The creation of ${rack.stack} failed (${result.status}); cause: ${cause}.`, {
      untouched: `The rack was not registered. The failed stack remains in ${result.status} and can only be deleted.`,
      next: `Fix the cause, delete the failed stack with \`aws cloudformation delete-stack --stack-name ${rack.stack} --region ${rack.region}\`, then install again.`,
      details: { status: result.status, firstFailure: result.firstFailure },
    });
  }

  const registered = { ...rack, stackId };
  await addRack(ctx.state, registered);
  await journal.step('registered', rack.name);
  await journal.finish('succeeded');
  return {
    rack: registered,
    version: plan.release.version,
    stackId,
    status: result.status,
    ...('url' in template ? { templateUrl: template.url } : {}),
    durationMs: ctx.clock.now().getTime() - journal.startedAt.getTime(),
  };
}

/** Rack stopped following the creation: the stack goes on; the same command again registers it. */
function amendInstallStop(error: RackError, rack: Rack): RackError {
  return new RackError(error.kind, `Stopped following the creation of ${rack.stack}: ${error.message}`, {
    exitCode: error.exitCode,
    untouched: 'CloudFormation keeps creating the stack; the rack is not registered yet.',
    next: `Run the same \`rack install ${rack.name} --stack ${rack.stack}\` again (or \`rack status --rack ${rack.name}\` once it is registered): it follows the creation to its end and registers the rack.`,
    details: error.details,
    cause: error.cause,
  });
}

/** The template as CloudFormation gets it, checked again right before the stack is created with it. */
async function templateFor(op: Operation, aws: AwsClients, prepared: PreparedInstall): Promise<StackTemplate> {
  const { release } = prepared.plan;
  const sent = await sendableTemplate(
    op.ctx,
    aws,
    { body: prepared.body, sha256: release.sha256, origin: `release ${release.version}` },
    async (what) => op.beforeWrite(what),
  );
  if ('url' in sent) await op.journal?.step('template-uploaded', sent.url);
  return sent;
}

export type InstallResult =
  | { type: 'installed'; plan: InstallPlan; outcome: InstallOutcome }
  /** The same command again after a killed install: the stack it created was followed and registered. */
  | { type: 'recovered'; rack: Rack; entry: HistoryEntry };

/**
 * `rack install` as one operation, locked by the new stack's name: what a killed install of the same rack
 * left is finished first (its stack followed to the end and the rack registered), else plan, confirm
 * through `hooks.confirm`, create and register.
 */
export async function runInstall(
  ctx: Context,
  request: InstallRequest,
  hooks: OperationHooks<InstallPlan>,
): Promise<InstallResult> {
  const rack = rackToRegister(ctx, request);
  return withOperation(
    ctx,
    rack,
    'install',
    async (op) => {
      const done = op.recovery.recovered.find((e) => e.operation === 'install' && e.result === 'succeeded');
      if (done) {
        const registered = (await listRacks(ctx.state)).find((r) => r.name === rack.name);
        if (registered) return { type: 'recovered', rack: registered, entry: done };
      }
      const prepared = await prepareInstall(op, request, rack);
      await hooks.confirm(prepared.plan);
      await op.begin({ to: prepared.plan.release.version, channel: prepared.plan.channel });
      return { type: 'installed', plan: prepared.plan, outcome: await executeInstall(op, prepared) };
    },
    { identity: 'name', onAttach: hooks.onAttach },
  );
}

/** The one sentence the CLI says when an install ends. */
export function installSummary(result: InstallResult): string {
  if (result.type === 'recovered') {
    return `Rack ${result.rack.name} was installed by an earlier rack process (its stack ${result.rack.stack} is created); it is now registered.`;
  }
  const { outcome } = result;
  return (
    `Installed rack ${outcome.rack.name}: release ${outcome.version} on stack ${outcome.rack.stack} in ${outcome.rack.region}, ` +
    `following ${outcome.rack.channel} (${(outcome.durationMs / 1000).toFixed(1)}s).`
  );
}
