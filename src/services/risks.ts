/**
 * Known risks of the releases on a rack's path (the catalog's `risks:`), checked before anything is written:
 * `rack update` refuses (exit 3) a rack a risk's matcher picks, naming the risk, unless the operator accepts
 * it by name (`--accept-risk <name>`); `rack sync` skips and reports such racks. Only the facts the matchers
 * need are read — the stack's parameters, its NoEcho keys, its ECS services — and a read that fails makes the
 * matcher unable to rule the rack out, which counts as matching (core/risks.ts).
 */
import { noEchoKeysFromSummary } from '../aws/changeSets.js';
import { findStack, type StackSummary } from '../aws/cloudformation.js';
import { describeServices, findFleet } from '../aws/fleet.js';
import type { Context } from '../context.js';
import type { Release } from '../core/channels/catalog.js';
import { factsNeeded, findRisks, type RiskFacts, type RiskFinding, riskLine, risksOn } from '../core/risks.js';
import { refused } from '../errors.js';
import type { Rack } from '../state/registry.js';

export interface RiskCheck {
  /** Risks the rack matches (or cannot rule out) that were not accepted. */
  refused: RiskFinding[];
  /** Risks the rack matches that the operator accepted by name. */
  accepted: RiskFinding[];
}

const NONE: RiskCheck = { refused: [], accepted: [] };

/** Evaluates the risks of `releases` (a path) on the rack. `stack`: as read already, to spare a read. */
export async function checkRisks(
  ctx: Context,
  rack: Rack,
  releases: readonly Release[],
  options: { stack?: StackSummary; accepted?: readonly string[] } = {},
): Promise<RiskCheck> {
  const declared = risksOn(releases);
  if (declared.length === 0) return NONE;
  const needs = declared
    .map(({ risk }) => factsNeeded(risk.match))
    .reduce((a, b) => ({ parameters: a.parameters || b.parameters, services: a.services || b.services }));
  const facts = await readFacts(ctx, rack, needs, options.stack);
  return findRisks(releases, facts, new Set(options.accepted ?? []));
}

async function readFacts(
  ctx: Context,
  rack: Rack,
  needs: { parameters: boolean; services: boolean },
  known: StackSummary | undefined,
): Promise<RiskFacts> {
  const aws = ctx.aws(rack);
  const stackName = rack.stackId ?? rack.stack;
  const failed = (error: unknown) => ({ error: (error as Error)?.message ?? String(error) });
  const facts: RiskFacts = { labels: rack.labels ?? {} };
  const reads: Promise<void>[] = [];
  if (needs.parameters) {
    reads.push(
      (async () => {
        try {
          const stack = known ?? (await findStack(aws, stackName));
          if (!stack) throw new Error(`stack ${rack.stack} not found`);
          // NoEcho keys from CloudFormation itself: their values are masks (or secrets) and are never compared.
          const summary = await noEchoKeysFromSummary(aws, { stackName });
          facts.secretKeys = new Set(summary.filter((p) => p.NoEcho).map((p) => p.ParameterKey));
          for (const key of facts.secretKeys) ctx.logger.addSecret(stack.parameters.find((p) => p.key === key)?.value);
          facts.parameters = new Map(stack.parameters.map((p) => [p.key, p.value]));
        } catch (error) {
          facts.parameters = failed(error);
        }
      })(),
    );
  }
  if (needs.services) {
    reads.push(
      (async () => {
        try {
          const fleet = await findFleet(aws, stackName);
          facts.services = fleet.cluster ? await describeServices(aws, fleet.cluster) : [];
        } catch (error) {
          facts.services = failed(error);
        }
      })(),
    );
  }
  await Promise.all(reads);
  return facts;
}

/** The refusal (exit 3) of a rack some risks pick, each named with its message and URL. */
function riskRefusal(rack: Rack, findings: readonly RiskFinding[], target: string) {
  const names = [...new Set(findings.map((f) => f.name))];
  return refused(
    `${findings.length === 1 ? 'A known risk' : 'Known risks'} of the way to ${target} ${findings.length === 1 ? 'applies' : 'apply'} to rack ${rack.name}: ${names.join(', ')}.`,
    {
      problems: findings.map(riskLine),
      untouched: 'Nothing was written to the stack.',
      next: `Read what each risk says; to go ahead anyway, run the update again with ${names.map((n) => `--accept-risk ${n}`).join(' ')}.`,
      details: { reason: 'known-risk', risks: findings.map((f) => ({ ...f })) },
    },
  );
}

/** Refuses the update when a risk picks the rack; warns of the risks accepted. */
export async function refuseKnownRisks(
  ctx: Context,
  rack: Rack,
  releases: readonly Release[],
  accepted: readonly string[] | undefined,
): Promise<void> {
  if (releases.length === 0) return;
  const check = await checkRisks(ctx, rack, releases, { accepted: accepted ?? [] });
  for (const finding of check.accepted) {
    ctx.events.emit({ type: 'warning', text: `known risk accepted with --accept-risk: ${riskLine(finding)}` });
  }
  if (check.refused.length > 0) throw riskRefusal(rack, check.refused, releases.at(-1)!.version);
}
