import { defineCommand } from './command.js';
import { table } from './table.js';
import type { InstallPlan } from '../services/install.js';

const SOURCE_WORDS = {
  user: '--param',
  prompt: 'typed',
  generated: 'generated',
  release: 'release',
  default: 'default',
} as const;

function renderInstallPlan(plan: InstallPlan): string {
  const lines = [
    `Install rack ${plan.rack.name}: release ${plan.release.version} (channel ${plan.channel}) as stack ${plan.rack.stack} in ${plan.rack.region}.`,
    `  Notes: ${plan.release.notes}`,
    `  Template: ${plan.templateBytes} bytes, sha256 ${plan.release.sha256} verified${plan.templateVia === 'artifacts-bucket' ? "; too large to pass inline, it is uploaded to the account's rack-artifacts bucket" : ''}.`,
    `  Termination protection: ${plan.terminationProtection ? 'on' : 'off'}.`,
    'Parameters:',
    table(
      ['PARAMETER', 'VALUE', 'FROM'],
      plan.parameters.map((p) => [
        p.key + (p.noEcho ? ' (NoEcho)' : ''),
        p.display === '' ? '""' : p.display,
        p.generatedBy ? `generated (migration ${p.generatedBy})` : SOURCE_WORDS[p.source],
      ]),
    )
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  ];
  for (const warning of plan.warnings) lines.push(`Warning: ${warning}`);
  return lines.join('\n');
}

export default defineCommand({
  command: 'install <name>',
  describe: 'Create a new rack from a verified release and register it',
  builder: (y) =>
    y
      // --version here names a release; rack's own version is `rack --version`.
      .version(false)
      .positional('name', { type: 'string', demandOption: true, describe: 'Name to register the rack under' })
      .option('stack', { type: 'string', demandOption: true, describe: 'Name of the CloudFormation stack to create' })
      .option('channel', { type: 'string', describe: 'Channel to install from and follow (default: stable)' })
      .option('version', { type: 'string', describe: "Install this release instead of the channel's newest" })
      .option('param', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'KEY=VALUE for a template parameter (asked for on a terminal when required and missing)',
      })
      .option('protect', {
        type: 'boolean',
        default: false,
        describe: "Turn on the stack's termination protection (rack uninstall then refuses it)",
      })
      .option('role-arn', {
        type: 'string',
        describe: "IAM role CloudFormation assumes for this rack's stack operations",
      }),
  writes: () => true,
  run: async (ctx, args) => {
    const [{ parseParameterArgs }, { runInstall, installSummary }, { runLive }] = await Promise.all([
      import('../core/parameterChanges.js'),
      import('../services/install.js'),
      import('./liveOperation.js'),
    ]);
    const params = parseParameterArgs(args.param.map(String), { allowEmpty: true });
    const request = {
      name: args.name,
      stack: args.stack,
      region: args.region,
      profile: args.profile,
      channel: args.channel,
      version: args.version,
      params,
      protect: args.protect,
      roleArn: args['role-arn'],
    };
    const result = await runLive(ctx, (hooks) => runInstall(ctx, request, hooks), {
      describe: renderInstallPlan,
      question: (plan) =>
        `Create stack ${plan.rack.stack} in ${plan.rack.region} and register it as ${plan.rack.name}?`,
      title: (plan) => `Installing ${plan.rack.name} (${plan.release.version}) as stack ${plan.rack.stack}`,
      done: (r) => installSummary(r),
    });
    if (result.type === 'recovered') {
      ctx.result(
        {
          rack: result.rack.name,
          stack: result.rack.stack,
          region: result.rack.region,
          channel: result.rack.channel,
          version: result.entry.to,
          stackId: result.rack.stackId,
          outcome: 'installed',
          recovered: true,
        },
        () => installSummary(result),
      );
      return;
    }
    const { plan, outcome } = result;
    ctx.result(
      {
        rack: outcome.rack.name,
        stack: outcome.rack.stack,
        region: outcome.rack.region,
        channel: outcome.rack.channel,
        version: outcome.version,
        stackId: outcome.stackId,
        status: outcome.status,
        terminationProtection: plan.terminationProtection,
        parameters: plan.parameters,
        templateVia: plan.templateVia,
        ...(outcome.templateUrl ? { templateUrl: outcome.templateUrl } : {}),
        warnings: plan.warnings,
        outcome: 'installed',
        durationMs: outcome.durationMs,
      },
      () => installSummary(result),
    );
  },
});
