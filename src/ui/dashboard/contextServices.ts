/**
 * The dashboard's services backed by rack's real ones, through a context. Background reads report to a
 * quiet reporter (warnings become notices); each operation runs in its own scoped context whose events
 * feed the live view. Only the registry is read before the first frame: the services (and the AWS SDK
 * they bring) load on first use, while the table is already on the screen.
 */
import type { Context } from '../../context.js';
import { formatError, isRackError } from '../../errors.js';
import type { Reporter } from '../../services/events.js';
import { listRacks } from '../../state/registry.js';
import type { InstanceRow } from '../state/dashboard.js';
import { keyrollPlanView, parametersPlanView, rollbackPlanView, updatePlanView } from '../state/plans.js';
import { scopedContext } from '../scopedContext.js';
import type { DashboardServices, OperationHooks } from './services.js';

export function contextServices(ctx: Context, background: Reporter): DashboardServices {
  const quiet = scopedContext(ctx, { events: background });
  const scoped = (hooks: OperationHooks) => scopedContext(ctx, { events: hooks.reporter, signal: hooks.signal });

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
      const { describeChannels } = await import('../../services/channelView.js');
      return describeChannels(quiet);
    },

    async parameters(name) {
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
      const rack = await resolveRack(quiet.state, name);
      const aws = quiet.aws(rack);
      // The editor checks values against the declarations, which `showParameters` does not return.
      const [shown, body, summary] = await Promise.all([
        showParameters(quiet, name),
        currentTemplateBody(aws, rack.stack),
        noEchoKeysFromSummary(aws, { stackName: rack.stack }),
      ]);
      const declarations = mergeNoEchoFromSummary(
        parseTemplate(body, `the template of ${rack.stack}`).parameters,
        summary,
      );
      return {
        shown: shown.parameters,
        declarations,
        current: shown.parameters.map((p) => ({ key: p.key, value: p.value, noEcho: p.noEcho })),
      };
    },

    update: (rack) => async (hooks) => {
      const { runUpdate } = await import('../../services/update.js');
      const { plan, outcome, attached } = await runUpdate(scoped(hooks), { rack }, (p) =>
        hooks.confirm(updatePlanView(p)),
      );
      if (attached)
        return { ok: true, text: `The operation rack had started on ${rack} finished: ${attached.status}.` };
      if (!outcome)
        return { ok: true, text: `Rack ${rack} already runs ${plan?.from}, the target of ${plan?.channel}.` };
      const hops = outcome.hops.length;
      return {
        ok: true,
        text: `Rack ${outcome.rack} updated from ${outcome.from} to ${outcome.reached} in ${(outcome.durationMs / 1000).toFixed(1)}s (${hops} hop${hops === 1 ? '' : 's'}).`,
      };
    },

    rollback: (rack) => async (hooks) => {
      const { runRollback } = await import('../../services/rollback.js');
      const { outcome } = await runRollback(scoped(hooks), { rack }, (p) => hooks.confirm(rollbackPlanView(p)));
      return {
        ok: true,
        text: `Rack ${outcome.rack} rolled back from ${outcome.from} to ${outcome.to} in ${(outcome.durationMs / 1000).toFixed(1)}s.`,
      };
    },

    keyroll: (rack) => async (hooks) => {
      const { runKeyroll } = await import('../../services/keyroll.js');
      // The dashboard's confirmation is the operator's answer to the preflight warnings too.
      const outcome = await runKeyroll(scoped(hooks), { rack }, (p) => hooks.confirm(keyrollPlanView(p)));
      const replaced = outcome.replaced.length;
      return {
        ok: true,
        text: `Rack ${outcome.rack} now uses key pair ${outcome.keyName} (${outcome.fingerprint}); ${replaced} instance${replaced === 1 ? '' : 's'} replaced in ${(outcome.durationMs / 1000).toFixed(1)}s.`,
      };
    },

    async instances(rack) {
      const { listInstances } = await import('../../services/instances.js');
      const view = await listInstances(quiet, rack);
      return view.instances.map(
        (i): InstanceRow => ({
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
        }),
      );
    },

    setParameter: (rack, key, value) => async (hooks) => {
      const [{ prepareParamsChange, applyParamsChange, discardParamsChange }, { parameterValue }] = await Promise.all([
        import('../../services/params.js'),
        import('../../aws/cloudformation.js'),
      ]);
      const ctx = scoped(hooks);
      const change = await prepareParamsChange(ctx, rack, [`${key}=${value}`]);
      const { plan, changeSet, stack } = change.prepared;
      if (!changeSet?.hasChanges) return { ok: true, text: `Nothing to change on ${rack}.` };
      try {
        await hooks.confirm(
          parametersPlanView(rack, parameterValue(stack, 'Version'), plan.changes, changeSet.changes),
        );
      } catch (error) {
        await discardParamsChange(change).catch(() => undefined);
        throw error;
      }
      await applyParamsChange(ctx, change);
      return { ok: true, text: `Updated the parameters of ${rack}.` };
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
