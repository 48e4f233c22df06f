import { defineCommand } from './command.js';

export default defineCommand({
  command: 'status',
  describe: "Show the rack's version, channel, stack status, target and path; follow an operation rack started",
  run: async (ctx) => {
    const [{ statusAndRecover }, { startLiveView }] = await Promise.all([
      import('../services/status.js'),
      import('../ui/live.js'),
    ]);
    // An operation a gone rack process started is followed to its end (and its record completed) first.
    let live: Awaited<ReturnType<typeof startLiveView>> | undefined;
    const status = await statusAndRecover(ctx, ctx.options.rack, {
      onAttach: async (inFlight) => {
        live = await startLiveView(ctx, `Following the ${inFlight.operation} of ${inFlight.rack}`);
      },
    }).catch(async (error: unknown) => {
      await live?.fail(error);
      throw error;
    });
    await live?.stop({ ok: true, text: `Finished: ${status.stackStatus ?? 'done'}.` });
    const { rack } = status;
    ctx.result(status, () =>
      [
        `Rack:     ${rack.name} (stack ${rack.stack}, ${rack.region})`,
        `Version:  ${status.version ?? '-'}${status.release === 'unknown' ? ' (unknown release)' : ''}`,
        `Channel:  ${rack.channel}${status.target ? ` → target ${status.target}` : ''}`,
        `Stack:    ${status.stackStatus ?? '-'}`,
        `State:    ${status.state}`,
        `Path:     ${status.path.length ? [status.version, ...status.path].join(' → ') : '(none: up to date)'}`,
        ...(status.lastOperation
          ? [
              `Last:     ${status.lastOperation.operation} ${status.lastOperation.from ?? ''}→${status.lastOperation.to ?? ''} ${status.lastOperation.result} at ${status.lastOperation.startedAt}`,
            ]
          : []),
        ...(status.lock
          ? [
              `Lock:     held by ${status.lock.holder.user}@${status.lock.holder.host} (${status.lock.holder.operation}) since ${status.lock.holder.since}${status.lock.stale ? ` — stale: ${status.lock.stale}` : ''}`,
            ]
          : []),
        ...status.warnings.map((w) => `Warning:  ${w}`),
      ].join('\n'),
    );
  },
});
