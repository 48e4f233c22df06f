import { describe, expect, it } from 'vitest';
import { contractProblems, replacingUpdatePolicy, requireRackContract } from '../../../src/core/rackContract.js';
import { parseTemplate } from '../../../src/core/template.js';
import { generateSecret } from '../../../src/services/secrets.js';

const template = (extra: { params?: string[]; groups?: number; outputs?: string[]; policy?: string } = {}) =>
  parseTemplate(
    JSON.stringify({
      Parameters: Object.fromEntries((extra.params ?? ['Version', 'Key']).map((k) => [k, { Type: 'String' }])),
      Resources: Object.fromEntries(
        Array.from({ length: extra.groups ?? 1 }, (_, i) => [
          `Group${i}`,
          { Type: 'AWS::AutoScaling::AutoScalingGroup', ...(extra.policy ? { UpdatePolicy: { [extra.policy]: {} } } : {}) },
        ]),
      ),
      Outputs: Object.fromEntries((extra.outputs ?? ['SettingsBucket', 'EncryptionKey']).map((k) => [k, { Value: 'x' }])),
    }),
  );

describe('the rack template contract', () => {
  it('accepts a template that follows it', () => {
    expect(contractProblems(template())).toEqual([]);
  });

  it('names everything missing at once', () => {
    expect(contractProblems(template({ params: ['Version'], groups: 2, outputs: ['SettingsBucket'] }))).toEqual([
      'it lacks the Key parameter',
      'it has 2 AWS::AutoScaling::AutoScalingGroup resources, not exactly one',
      'it lacks the EncryptionKey output',
    ]);
  });

  it('refuses with exit 3 and says what was left untouched', () => {
    expect(() => requireRackContract(template({ groups: 0 }), '9.9.9', 'Nothing was created.')).toThrow(
      expect.objectContaining({ kind: 'refused', untouched: 'Nothing was created.', message: 'Release 9.9.9 does not follow the rack template contract.' }),
    );
  });

  it('finds an update policy that replaces instances without draining them', () => {
    expect(replacingUpdatePolicy(template())).toBeUndefined();
    expect(replacingUpdatePolicy(template({ policy: 'AutoScalingRollingUpdate' }))).toBe('AutoScalingRollingUpdate');
    expect(replacingUpdatePolicy(template({ policy: 'AutoScalingReplacingUpdate' }))).toBe('AutoScalingReplacingUpdate');
  });
});

describe('generated secrets', () => {
  it('are base64url of the given number of bytes, different every time', () => {
    const a = generateSecret({ bytes: 24 });
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(generateSecret({ bytes: 24 })).not.toBe(a);
  });

  it('draw every character of an alphabet, and only those', () => {
    const drawn = generateSecret({ bytes: 4000, alphabet: 'abc' });
    expect(drawn).toHaveLength(4000);
    expect(new Set(drawn)).toEqual(new Set(['a', 'b', 'c']));
    // Uniform draws: each letter close to a third.
    for (const letter of 'abc') expect(Math.abs(drawn.split(letter).length - 1 - 4000 / 3)).toBeLessThan(200);
  });
});
