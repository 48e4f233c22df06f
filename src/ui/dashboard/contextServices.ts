/**
 * The dashboard's services backed by rack's real ones, through a context. Background reads report to a
 * quiet reporter (warnings become notices); each operation runs in its own scoped context whose events
 * feed the live view. Only the registry is read before the first frame: the services (and the AWS SDK
 * they bring) load on first use, while the table is already on the screen.
 */
import type { Context } from '../../context.js';
import { formatError, isRackError } from '../../errors.js';
import { redactEvent, type Reporter } from '../../io/events.js';
import { listRacks } from '../../state/registry.js';
import type { InstanceView } from '../../services/instances.js';
import type { InstanceRow, RackParameters } from '../model/dashboardState.js';
import { keyrollPlanView, parametersPlanView, rollbackPlanView, updatePlanView } from '../model/plans.js';
import { scopedContext } from '../scopedContext.js';
import type { DashboardServices, OperationHooks } from './services.js';

export function contextServices(ctx: Context, background: Reporter): DashboardServices {
  // Services emit some events straight from AWS's answers (a stack event's reason): redacted on the way in.
  const redacting = (reporter: Reporter): Reporter => ({
    emit: (event) => reporter.emit(redactEvent(event, ctx.logger.redact)),
  });
  const quiet = scopedContext(ctx, { events: redacting(background) });
  const scoped = (hooks: OperationHooks) =>
    scopedContext(ctx, { events: redacting(hooks.reporter), signal: hooks.signal });

  return {
    listRacks: () => listRacks(quiet.state),
    async loadChannels() {
      const { loadChannels } = await import('../../services/releases.js');
      return loadChannels(quiet);
    },
    async rackStatus(rack, loaded) {
      const { rackStatus } = await import('../../services/status.js');
      return rackStatus(quiet, rack, loaded);
    },
    async history(rack) {
      const { readHistory } = await import('../../state/history.js');
      return readHistory(quiet.state, rack);
    },
    async channels() {
      const [{ loadChannels }, { describeChannels }, { rolloutStatus }] = await Promise.all([
        import('../../services/releases.js'),
        import('../../services/channelView.js'),
        import('../../services/rollout.js'),
      ]);
      // Loaded once for both: its trust warnings are given once.
      const loaded = await loadChannels(quiet);
      const view = await describeChannels(quiet, { loaded });
      // Rollouts read every rack's stack: the channels show without them when that fails.
      const rollouts = await rolloutStatus(quiet, { loaded }).catch(() => []);
      return { ...view, ...(rollouts.some((r) => r.version) ? { rollouts } : {}) };
    },

    parameters: (name) => readParameters(quiet, name),

    update: (rack) => async (hooks) => {
      const { runUpdate, updateSummary } = await import('../../services/update.js');
      const result = await runUpdate(scoped(hooks), { rack }, { confirm: (p) => hooks.confirm(updatePlanView(p)) });
      return { ok: true, text: updateSummary(result) };
    },

    rollback: (rack) => async (hooks) => {
      const { runRollback, rollbackSummary } = await import('../../services/rollback.js');
      const result = await runRollback(scoped(hooks), { rack }, { confirm: (p) => hooks.confirm(rollbackPlanView(p)) });
      return { ok: true, text: rollbackSummary(result) };
    },

    keyroll: (rack) => async (hooks) => {
      const { runKeyroll, keyrollSummary } = await import('../../services/keyroll.js');
      // The dashboard's confirmation is the operator's answer to the preflight warnings too.
      const outcome = await runKeyroll(scoped(hooks), { rack }, { confirm: (p) => hooks.confirm(keyrollPlanView(p)) });
      return { ok: true, text: keyrollSummary(outcome) };
    },

    async instances(rack) {
      const { listInstances } = await import('../../services/instances.js');
      return (await listInstances(quiet, rack)).instances.map(instanceRow);
    },

    setParameter: (rack, key, value) => async (hooks) => {
      const { runParamsChange, paramsSummary } = await import('../../services/params.js');
      const result = await runParamsChange(
        scoped(hooks),
        { rack, changes: { [key]: value } },
        {
          confirm: (p) => hooks.confirm(parametersPlanView(p.rack.name, p.version, p.parameters, p.resourceChanges)),
        },
      );
      return { ok: true, text: paramsSummary(result) };
    },

    describeError(error) {
      const text = isRackError(error)
        ? formatError(error).replace(/^Error: /, '')
        : `Unexpected error: ${(error as Error)?.message ?? String(error)}`;
      return ctx.logger.redact(text);
    },

    now: () => ctx.clock.now(),
  };
}

/** A rack's parameters for the details tab, and the declarations the editor checks typed values against. */
async function readParameters(ctx: Context, name: string): Promise<RackParameters> {
  const [
    { showParameters },
    { currentTemplateBody, noEchoKeysFromSummary },
    { mergeNoEchoFromSummary, parseTemplate },
    { resolveRack },
  ] = await Promise.all([
    import('../../services/paramsView.js'),
    import('../../aws/changeSets.js'),
    import('../../core/template.js'),
    import('../../state/registry.js'),
  ]);
  const rack = await resolveRack(ctx.state, name);
  const aws = ctx.aws(rack);
  // The editor checks values against the declarations, which `showParameters` does not return.
  const [shown, body, summary] = await Promise.all([
    showParameters(ctx, name),
    currentTemplateBody(aws, rack.stack),
    noEchoKeysFromSummary(aws, { stackName: rack.stack }),
  ]);
  const declarations = mergeNoEchoFromSummary(parseTemplate(body, `the template of ${rack.stack}`).parameters, summary);
  return {
    shown: shown.parameters,
    declarations,
    current: shown.parameters.map((p) => ({ key: p.key, value: p.value, noEcho: p.noEcho })),
  };
}

/** An instance as the instances tab lists it. */
function instanceRow(i: InstanceView): InstanceRow {
  return {
    id: i.id,
    state: i.state,
    health: i.health,
    zone: i.zone,
    type: i.type,
    launchedAt: i.launchedAt?.slice(0, 16).replace('T', ' '),
    note: [
      `key ${i.keyName ?? 'none'}${i.keyName && !i.currentKey ? ' (an old key)' : ''}`,
      i.ecs === null
        ? 'not in ECS'
        : i.ecs
          ? `ECS ${i.ecs.status}, ${i.ecs.runningTasks} task${i.ecs.runningTasks === 1 ? '' : 's'}${i.ecs.agentConnected ? '' : ', agent disconnected'}`
          : '',
    ]
      .filter(Boolean)
      .join(' · '),
  };
}
