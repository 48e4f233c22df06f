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
          {
            Type: 'AWS::AutoScaling::AutoScalingGroup',
            ...(extra.policy ? { UpdatePolicy: { [extra.policy]: {} } } : {}),
          },
        ]),
      ),
      Outputs: Object.fromEntries(
        (extra.outputs ?? ['SettingsBucket', 'EncryptionKey']).map((k) => [k, { Value: 'x' }]),
      ),
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
      expect.objectContaining({
        kind: 'refused',
        untouched: 'Nothing was created.',
        message: 'Release 9.9.9 does not follow the rack template contract.',
      }),
    );
  });

  it('finds an update policy that replaces instances without draining them', () => {
    expect(replacingUpdatePolicy(template())).toBeUndefined();
    expect(replacingUpdatePolicy(template({ policy: 'AutoScalingRollingUpdate' }))).toBe('AutoScalingRollingUpdate');
    expect(replacingUpdatePolicy(template({ policy: 'AutoScalingReplacingUpdate' }))).toBe(
      'AutoScalingReplacingUpdate',
    );
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

describe('reading only the parameters of a template', () => {
  it('gives the same declarations as the full parse, for every shipped template', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { parseTemplateParameters, parametersSection } = await import('../../../src/core/template.js');
    const dir = new URL('../../../channels/templates/', import.meta.url);
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      const body = readFileSync(new URL(file, dir), 'utf8');
      expect(parametersSection(body), file).toBeDefined();
      expect(parseTemplateParameters(body), file).toEqual(parseTemplate(body).parameters);
    }
  });

  it('falls back to the full parse for JSON and for templates without a block Parameters section', async () => {
    const { parseTemplateParameters, parametersSection } = await import('../../../src/core/template.js');
    const json = JSON.stringify({ Parameters: { A: { Type: 'String', Default: 'x' } }, Resources: {} });
    expect(parametersSection(json)).toBeUndefined();
    expect(parseTemplateParameters(json)).toEqual([expect.objectContaining({ key: 'A', default: 'x' })]);
    const yaml =
      'Resources:\n  X:\n    Type: AWS::S3::Bucket\nParameters:\n  B:\n    Type: Number\n    MinValue: 1\n# the end\nOutputs:\n  O:\n    Value: !Ref X\n';
    expect(parametersSection(yaml)).toBe('Parameters:\n  B:\n    Type: Number\n    MinValue: 1\n# the end');
    expect(parseTemplateParameters(yaml)).toEqual([expect.objectContaining({ key: 'B', type: 'Number', minValue: 1 })]);
  });
});
