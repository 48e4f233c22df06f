import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCatalogFile } from '../../../src/core/channels/catalog.js';
import { evaluateMatcher, factsNeeded, findRisks, riskLine, type RiskFacts } from '../../../src/core/risks.js';
import type { RiskMatcher } from '../../../src/core/schemas.js';
import { errorOf, release } from '../channels/fixtures.js';

const params = (entries: Record<string, string>) => new Map(Object.entries(entries));
const facts: RiskFacts = {
  labels: { tier: 'canary' },
  parameters: params({ InstanceType: 't3.small', DesiredCapacity: '1', Password: '****' }),
  secretKeys: new Set(['Password']),
  services: [
    { name: 'web', running: 2, desired: 2 },
    { name: 'worker', running: 1, desired: 1 },
  ],
};
const verdict = (matcher: RiskMatcher, f: RiskFacts = facts) => evaluateMatcher(matcher, f).verdict;

describe('risk matchers', () => {
  it('compare a parameter: equal, unequal, below, above, matching', () => {
    expect(verdict({ parameter: { name: 'InstanceType', equals: 't3.small' } })).toBe('match');
    expect(verdict({ parameter: { name: 'InstanceType', equals: 't3.large' } })).toBe('no-match');
    expect(verdict({ parameter: { name: 'InstanceType', notEquals: 't3.large' } })).toBe('match');
    expect(verdict({ parameter: { name: 'DesiredCapacity', below: 2 } })).toBe('match');
    expect(verdict({ parameter: { name: 'DesiredCapacity', above: 1 } })).toBe('no-match');
    expect(verdict({ parameter: { name: 'InstanceType', matches: 't3\\..*' } })).toBe('match');
    expect(verdict({ parameter: { name: 'InstanceType', matches: 't3' } })).toBe('no-match');
    expect(verdict({ parameter: { name: 'Missing', equals: 'x' } })).toBe('no-match');
  });

  it('cannot compare what it cannot read: a NoEcho value, a value that is not a number, a failed read', () => {
    const noEcho = evaluateMatcher({ parameter: { name: 'Password', equals: 'x' } }, facts);
    expect(noEcho).toEqual({ verdict: 'unknown', why: 'parameter Password is NoEcho: its value cannot be compared' });
    expect(verdict({ parameter: { name: 'InstanceType', below: 3 } })).toBe('unknown');
    expect(verdict({ parameter: { name: 'Missing', above: 3 } })).toBe('unknown');
    expect(verdict({ parameter: { name: 'InstanceType', equals: 'x' } }, { parameters: { error: 'Throttling' } })).toBe(
      'unknown',
    );
    expect(verdict({ service: { runningFewerThan: 2 } }, { services: { error: 'AccessDenied' } })).toBe('unknown');
  });

  it('match labels and ECS services running fewer than N tasks', () => {
    expect(verdict({ label: { name: 'tier' } })).toBe('match');
    expect(verdict({ label: { name: 'tier', equals: 'prod' } })).toBe('no-match');
    expect(verdict({ label: { name: 'tier', notEquals: 'prod' } })).toBe('match');
    expect(verdict({ service: { runningFewerThan: 2 } })).toBe('match');
    expect(evaluateMatcher({ service: { runningFewerThan: 2 } }, facts).why).toBe(
      'service worker runs 1 task (fewer than 2)',
    );
    expect(verdict({ service: { name: 'web', runningFewerThan: 2 } })).toBe('no-match');
    expect(verdict({ service: { name: 'gone', runningFewerThan: 2 } })).toBe('no-match');
  });

  it('combine with all and any, unknown counting as neither', () => {
    const yes: RiskMatcher = { label: { name: 'tier' } };
    const no: RiskMatcher = { label: { name: 'nope' } };
    const unknown: RiskMatcher = { parameter: { name: 'Password', equals: 'x' } };
    expect(verdict({ all: [yes, yes] })).toBe('match');
    expect(verdict({ all: [yes, unknown] })).toBe('unknown');
    expect(verdict({ all: [no, unknown] })).toBe('no-match');
    expect(verdict({ any: [no, yes] })).toBe('match');
    expect(verdict({ any: [no, unknown] })).toBe('unknown');
    expect(verdict({ any: [no, no] })).toBe('no-match');
    expect(factsNeeded({ any: [no, { all: [unknown] }] })).toEqual({ parameters: true, services: false });
  });

  it('property: all is the lowest and any the highest verdict of their parts (match > unknown > no-match)', () => {
    const rank = { 'no-match': 0, unknown: 1, match: 2 } as const;
    const leaf = fc.constantFrom<RiskMatcher>(
      { label: { name: 'tier' } },
      { label: { name: 'nope' } },
      { parameter: { name: 'Password', equals: 'x' } },
    );
    fc.assert(
      fc.property(fc.array(leaf, { minLength: 1, maxLength: 5 }), (parts) => {
        const ranks = parts.map((p) => rank[verdict(p)]);
        expect(rank[verdict({ all: parts })]).toBe(Math.min(...ranks));
        expect(rank[verdict({ any: parts })]).toBe(Math.max(...ranks));
      }),
    );
  });

  it('refuse the risks of every release on the path, unless accepted by name', () => {
    const risk = (name: string, match: RiskMatcher) => ({
      name,
      message: `${name} breaks`,
      url: `https://x/${name}`,
      match,
    });
    const path = [
      release('1.4.0', { risks: [risk('small', { parameter: { name: 'InstanceType', equals: 't3.small' } })] }),
      release('1.5.0', {
        risks: [
          risk('one-task', { service: { runningFewerThan: 2 } }),
          risk('eu-only', { label: { name: 'region', equals: 'eu' } }),
        ],
      }),
    ];
    const found = findRisks(path, facts, new Set(['one-task']));
    expect(found.refused.map((f) => [f.release, f.name])).toEqual([['1.4.0', 'small']]);
    expect(found.accepted.map((f) => f.name)).toEqual(['one-task']);
    expect(riskLine(found.refused[0]!)).toBe(
      'small (1.4.0): small breaks [parameter InstanceType is t3.small] https://x/small',
    );
    const unreadable = findRisks(path.slice(0, 1), { ...facts, parameters: { error: 'Throttling' } });
    expect(riskLine(unreadable.refused[0]!)).toBe(
      'small (1.4.0): small breaks [cannot be ruled out: the parameters could not be read: Throttling] https://x/small',
    );
  });
});

describe('risks in the catalog', () => {
  const catalog = (risks: string) => `schema: 1
releases:
  - version: 1.4.0
    template: templates/rack-1.4.0.yaml
    sha256: ${'a'.repeat(64)}
    published: 2025-01-01T00:00:00Z
    notes: x
    risks:
${risks}
`;

  it('reads well-formed risks', () => {
    const file = readCatalogFile(
      catalog(`      - name: small-instances
        message: t3.small runs out of memory with 1.4.0's agent
        url: https://example.com/kb/123
        match:
          all:
            - parameter: {name: InstanceType, matches: 't3\\.(nano|micro|small)'}
            - service: {runningFewerThan: 2}`),
      'channels/catalog.yaml',
    );
    expect(file.value.releases[0]!.risks?.[0]?.name).toBe('small-instances');
  });

  it("names every problem of a matcher's syntax, with its line", () => {
    const error = errorOf(() =>
      readCatalogFile(
        catalog(`      - name: Bad Name
        message: x
        url: ftp://example.com
        match:
          parameter: {name: InstanceType, equals: t3.small, above: 3}
      - name: b
        message: x
        url: https://example.com
        match: {label: {name: tier}, service: {runningFewerThan: 0}}
      - name: c
        message: x
        url: https://example.com
        match: {parameter: {name: InstanceType, matches: '(unclosed'}}
      - name: d
        message: x
        url: https://example.com
        match: {labels: {}}`),
        'channels/catalog.yaml',
      ),
    );
    expect(error.problems).toEqual([
      'channels/catalog.yaml:9: releases[0].risks[0].name: expected a risk name (lowercase letters, digits and dashes), got "Bad Name"',
      'channels/catalog.yaml:11: releases[0].risks[0].url: expected an http(s) URL',
      'channels/catalog.yaml:13: releases[0].risks[0].match.parameter: expected exactly one of equals, notEquals, below, above, matches',
      'channels/catalog.yaml:17: releases[0].risks[1].match.service.runningFewerThan: expected at least 1',
      'channels/catalog.yaml:21: releases[0].risks[2].match.parameter.matches: not a regular expression: Invalid regular expression: /^(?:(unclosed)$/u: Unterminated group',
      'channels/catalog.yaml:25: releases[0].risks[3].match.labels: unknown field',
    ]);
  });
});
