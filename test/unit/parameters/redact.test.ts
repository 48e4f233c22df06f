import { describe, expect, it } from 'vitest';
import { isAsteriskOnly, MASK, maskParameterValue, redactor } from '../../../src/core/redact.js';

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
});
