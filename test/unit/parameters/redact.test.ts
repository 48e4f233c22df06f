import { describe, expect, it } from 'vitest';
import { isAsteriskOnly, MASK, maskParameterValue, redactor, redactValue } from '../../../src/core/redact.js';

describe('isAsteriskOnly', () => {
  it.each(['*', '****', '********'])('is true for %j', (value) => expect(isAsteriskOnly(value)).toBe(true));
  it.each(['', '*a*', ' ****', '****\n', 'secret'])('is false for %j', (value) =>
    expect(isAsteriskOnly(value)).toBe(false),
  );
});

describe('maskParameterValue', () => {
  it('shows a NoEcho value as the mask, whatever was read', () => {
    expect(maskParameterValue(true, 'hunter2')).toBe(MASK);
    expect(maskParameterValue(true, undefined)).toBe(MASK);
  });

  it('shows a plain value as it is', () => {
    expect(maskParameterValue(false, 't3.small')).toBe('t3.small');
    expect(maskParameterValue(false, undefined)).toBe('');
  });
});

describe('redactor', () => {
  it('replaces every occurrence of every secret', () => {
    const redact = redactor(['hunter2', 'swordfish']);
    expect(redact('a=hunter2 b=swordfish c=hunter2')).toBe('a=**** b=**** c=****');
  });

  it('masks a secret that contains another one whole', () => {
    expect(redactor(['abcd', 'xxabcdxx'])('[xxabcdxx] [abcd]')).toBe('[****] [****]');
  });

  it('treats regular expression characters literally', () => {
    expect(redactor(['a.b*c(d)'])('a.b*c(d) aXbbc(d)')).toBe('**** aXbbc(d)');
  });

  it('masks the JSON-escaped spelling of a secret', () => {
    const secret = 'pa"ss\\word';
    const text = JSON.stringify({ ParameterValue: secret });
    expect(redactor([secret])(text)).toBe('{"ParameterValue":"****"}');
  });

  it('masks the URL-encoded spellings of a secret, as the query protocol sends it', () => {
    const secret = "p@ss w/rd!'()*";
    const redact = redactor([secret]);
    expect(redact(`Parameters.member.1.ParameterValue=${encodeURIComponent(secret)}`)).toBe(
      'Parameters.member.1.ParameterValue=****',
    );
    expect(redact('ParameterValue=p%40ss%20w%2Frd%21%27%28%29%2A')).toBe('ParameterValue=****');
  });

  it('ignores empty and asterisk-only strings, which are not secrets', () => {
    expect(redactor(['', '****'])('a **** b')).toBe('a **** b');
  });

  it('leaves text unchanged when there are no secrets', () => {
    expect(redactor([])('nothing to hide')).toBe('nothing to hide');
  });

  it('copes with a secret that cannot be URL-encoded', () => {
    expect(redactor(['x\uD800y'])('[x\uD800y]')).toBe('[****]');
  });

  it('masks a 2-character secret where it stands as a token, not inside a word', () => {
    const redact = redactor(['ab']);
    expect(redact('Password=ab "ab" ab (ab) ab.')).toBe('Password=**** "****" **** (****) ****.');
    expect(redact('label abc cab _ab ab9 ab')).toBe('label abc cab _ab ab9 ****');
    expect(redactor(['x'])('x = 1, max: x')).toBe('**** = 1, max: ****');
  });

  it('masks a short secret of symbols wherever it appears, and its encoded spellings as tokens', () => {
    expect(redactor(['!?'])('a!?b')).toBe('a****b');
    expect(redactor(['a"'])(JSON.stringify({ v: 'a"' }))).toBe('{"v":"****"}');
    expect(redactor(['a b'])('x=a%20b&y=1')).toBe('x=****&y=1');
  });

  it('masks a secret of 4 characters or more anywhere, inside words too', () => {
    expect(redactor(['abcd'])('xabcdx abcd')).toBe('x****x ****');
  });

  it('masks a short secret in non-Latin text as a token', () => {
    expect(redactor(['日本'])('日本 日本語 =日本')).toBe('**** 日本語 =****');
  });
});

describe('redactValue', () => {
  it('redacts every string of a value before it is serialized, so JSON escaping cannot hide a secret', () => {
    const secret = 'pa"ss\\w';
    const redact = redactor([secret]);
    const value = {
      error: { message: `bad value ${secret}`, problems: [`Password=${secret}`], exitCode: 3, ok: false },
    };
    const out = JSON.stringify(redactValue(value, redact));
    expect(out).not.toContain('pa\\"ss');
    expect(JSON.parse(out)).toEqual({
      error: { message: 'bad value ****', problems: ['Password=****'], exitCode: 3, ok: false },
    });
  });

  it('follows JSON: toJSON first, keys too, and the input is left as it was', () => {
    const redact = redactor(['hunter2']);
    const at = new Date('2026-01-01T00:00:00Z');
    const input = { at, hunter2: 'x', list: [{ toJSON: () => 'hunter2!' }], n: null, u: undefined };
    expect(redactValue(input, redact)).toEqual({
      at: '2026-01-01T00:00:00.000Z',
      '****': 'x',
      list: ['****!'],
      n: null,
    });
    expect(input.hunter2).toBe('x');
  });
});
