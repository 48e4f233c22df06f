/**
 * Known risks: a release may name configurations it is known to break (`risks:` in the catalog, each with a
 * name, a message, a URL and a matcher on the rack). Pure: a matcher is evaluated against facts a service
 * read, in three values — it matches, it does not, or it cannot say (a read failed, a value is a NoEcho
 * mask, a number is not one). Unknown counts as matching: a rack is refused a risk rack cannot rule out.
 */
import type { Release } from './channels/catalog.js';
import { formatLabels, type Labels } from './labels.js';
import type { RiskFile, RiskMatcher } from './schemas.js';

export type Verdict = 'match' | 'no-match' | 'unknown';

export interface ServiceFact {
  name: string;
  running: number;
  desired: number;
}

/** What a service read about the rack; a fact that is a `{ error }` could not be read. */
export interface RiskFacts {
  labels?: Labels;
  /** The stack's parameters by key (as DescribeStacks gives them). */
  parameters?: ReadonlyMap<string, string | undefined> | { error: string };
  /** NoEcho keys: their values are never compared (they are masks, or secrets a caller must not see). */
  secretKeys?: ReadonlySet<string>;
  services?: readonly ServiceFact[] | { error: string };
}

export interface MatcherResult {
  verdict: Verdict;
  /** In words, naming parameters, labels and services, never a parameter's value. */
  why: string;
}

/** The facts a matcher needs read: a service reads only those. */
export function factsNeeded(matcher: RiskMatcher): { parameters: boolean; services: boolean } {
  if ('parameter' in matcher) return { parameters: true, services: false };
  if ('service' in matcher) return { parameters: false, services: true };
  if ('label' in matcher) return { parameters: false, services: false };
  const parts = ('all' in matcher ? matcher.all : matcher.any).map(factsNeeded);
  return { parameters: parts.some((p) => p.parameters), services: parts.some((p) => p.services) };
}

const isError = (fact: unknown): fact is { error: string } =>
  typeof fact === 'object' && fact !== null && 'error' in fact && !(fact instanceof Map) && !Array.isArray(fact);

export function evaluateMatcher(matcher: RiskMatcher, facts: RiskFacts): MatcherResult {
  if ('parameter' in matcher) return parameterVerdict(matcher.parameter, facts);
  if ('label' in matcher) return labelVerdict(matcher.label, facts.labels ?? {});
  if ('service' in matcher) return serviceVerdict(matcher.service, facts);
  const parts = ('all' in matcher ? matcher.all : matcher.any).map((m) => evaluateMatcher(m, facts));
  const of = (verdict: Verdict) => parts.filter((p) => p.verdict === verdict);
  if ('all' in matcher) {
    const miss = of('no-match');
    if (miss.length > 0) return { verdict: 'no-match', why: miss[0]!.why };
    const unknown = of('unknown');
    if (unknown.length > 0) return { verdict: 'unknown', why: unknown.map((p) => p.why).join('; ') };
    return { verdict: 'match', why: parts.map((p) => p.why).join(' and ') };
  }
  const hit = of('match');
  if (hit.length > 0) return { verdict: 'match', why: hit[0]!.why };
  const unknown = of('unknown');
  if (unknown.length > 0) return { verdict: 'unknown', why: unknown.map((p) => p.why).join('; ') };
  return { verdict: 'no-match', why: parts.map((p) => p.why).join(' and ') };
}

function parameterVerdict(
  m: Extract<RiskMatcher, { parameter: unknown }>['parameter'],
  facts: RiskFacts,
): MatcherResult {
  const { parameters } = facts;
  if (parameters === undefined) return { verdict: 'unknown', why: `parameter ${m.name} was not read` };
  if (isError(parameters)) return { verdict: 'unknown', why: `the parameters could not be read: ${parameters.error}` };
  const has = parameters.has(m.name);
  const value = parameters.get(m.name);
  if (facts.secretKeys?.has(m.name) || (value !== undefined && /^\*+$/.test(value))) {
    return { verdict: 'unknown', why: `parameter ${m.name} is NoEcho: its value cannot be compared` };
  }
  const yes = (why: string): MatcherResult => ({ verdict: 'match', why });
  const no = (why: string): MatcherResult => ({ verdict: 'no-match', why });
  if (m.equals !== undefined) {
    return has && value === m.equals
      ? yes(`parameter ${m.name} is ${m.equals}`)
      : no(`parameter ${m.name} is not ${m.equals}`);
  }
  if (m.notEquals !== undefined) {
    return has && value === m.notEquals
      ? no(`parameter ${m.name} is ${m.notEquals}`)
      : yes(`parameter ${m.name} is not ${m.notEquals}`);
  }
  if (m.matches !== undefined) {
    if (!has || value === undefined) return no(`the stack has no parameter ${m.name}`);
    return new RegExp(`^(?:${m.matches})$`, 'u').test(value)
      ? yes(`parameter ${m.name} matches ${m.matches}`)
      : no(`parameter ${m.name} does not match ${m.matches}`);
  }
  const bound = m.below ?? m.above!;
  const word = m.below !== undefined ? 'below' : 'above';
  const number = value === undefined || value.trim() === '' ? Number.NaN : Number(value);
  if (!has || Number.isNaN(number)) {
    return {
      verdict: 'unknown',
      why: `parameter ${m.name} is ${has ? 'not a number' : 'missing'}, so it cannot be compared with ${bound}`,
    };
  }
  const holds = m.below !== undefined ? number < bound : number > bound;
  return holds ? yes(`parameter ${m.name} is ${word} ${bound}`) : no(`parameter ${m.name} is not ${word} ${bound}`);
}

function labelVerdict(m: Extract<RiskMatcher, { label: unknown }>['label'], labels: Labels): MatcherResult {
  const has = Object.hasOwn(labels, m.name);
  const value = has ? labels[m.name] : undefined;
  if (m.equals !== undefined) {
    return value === m.equals
      ? { verdict: 'match', why: `label ${m.name}=${m.equals}` }
      : { verdict: 'no-match', why: `no label ${m.name}=${m.equals}` };
  }
  if (m.notEquals !== undefined) {
    return value === m.notEquals
      ? { verdict: 'no-match', why: `label ${m.name}=${m.notEquals}` }
      : { verdict: 'match', why: `no label ${m.name}=${m.notEquals}` };
  }
  return has
    ? { verdict: 'match', why: `label ${m.name}` }
    : { verdict: 'no-match', why: `no label ${m.name} (labels: ${formatLabels(labels) || 'none'})` };
}

function serviceVerdict(m: Extract<RiskMatcher, { service: unknown }>['service'], facts: RiskFacts): MatcherResult {
  const { services } = facts;
  if (services === undefined) return { verdict: 'unknown', why: 'the ECS services were not read' };
  if (isError(services)) return { verdict: 'unknown', why: `the ECS services could not be read: ${services.error}` };
  const candidates = m.name === undefined ? services : services.filter((s) => s.name === m.name);
  const low = candidates.find((s) => s.running < m.runningFewerThan);
  if (low) {
    return {
      verdict: 'match',
      why: `service ${low.name} runs ${low.running} task${low.running === 1 ? '' : 's'} (fewer than ${m.runningFewerThan})`,
    };
  }
  const which =
    m.name === undefined
      ? 'no service'
      : `service ${m.name} ${candidates.length ? 'does not run' : 'is not there, so it does not run'}`;
  return { verdict: 'no-match', why: `${which} fewer than ${m.runningFewerThan} tasks` };
}

/** A known risk of a release on the way that a rack matches (or cannot rule out). */
export interface RiskFinding {
  release: string;
  name: string;
  message: string;
  url: string;
  /** True when the matcher could not be evaluated; it counts as matching. */
  unknown: boolean;
  why: string;
}

/** The risks declared by the releases on a path, each with the release that declares it. */
export function risksOn(releases: readonly Release[]): Array<{ release: string; risk: RiskFile }> {
  return releases.flatMap((release) => (release.risks ?? []).map((risk) => ({ release: release.version, risk })));
}

/** Every risk of the path the rack matches or cannot rule out, split by whether the operator accepted it by name. */
export function findRisks(
  releases: readonly Release[],
  facts: RiskFacts,
  accepted: ReadonlySet<string> = new Set(),
): { refused: RiskFinding[]; accepted: RiskFinding[] } {
  const refused: RiskFinding[] = [];
  const taken: RiskFinding[] = [];
  for (const { release, risk } of risksOn(releases)) {
    const result = evaluateMatcher(risk.match, facts);
    if (result.verdict === 'no-match') continue;
    const finding: RiskFinding = {
      release,
      name: risk.name,
      message: risk.message,
      url: risk.url,
      unknown: result.verdict === 'unknown',
      why: result.why,
    };
    (accepted.has(risk.name) ? taken : refused).push(finding);
  }
  return { refused, accepted: taken };
}

/** One line about a finding, for refusals and sync reports. */
export function riskLine(finding: RiskFinding): string {
  const because = finding.unknown ? `cannot be ruled out: ${finding.why}` : finding.why;
  return `${finding.name} (${finding.release}): ${finding.message} [${because}] ${finding.url}`;
}
