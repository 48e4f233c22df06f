import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { legacyStateKey, parseStackId, stackStateKey } from '../../../src/core/stackIdentity.js';

const ARN = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/prod-rack/4c1f1b20-9a2b-11ef-8f1d-0a1b2c3d4e5f';

describe('stack identity', () => {
  it('reads a StackId', () => {
    expect(parseStackId(ARN)).toEqual({
      region: 'eu-west-1',
      account: '123456789012',
      name: 'prod-rack',
      uuid: '4c1f1b20-9a2b-11ef-8f1d-0a1b2c3d4e5f',
    });
    expect(parseStackId('arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/a/b-c')?.region).toBe(
      'us-gov-west-1',
    );
  });

  it('is not fooled by a name, another service or a malformed ARN', () => {
    for (const text of [
      'prod-rack',
      'arn:aws:s3:::bucket',
      'arn:aws:cloudformation:eu-west-1:123:stack/prod/x',
      'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/prod/x',
      `${ARN}/extra`,
    ]) {
      expect(parseStackId(text), text).toBeUndefined();
    }
  });

  it('keys state by StackId: one stack, one key, whatever name it was typed with; another stack of the same name, another key', () => {
    const byId = stackStateKey({ stackId: ARN, region: 'eu-west-1', stack: 'prod-rack' });
    expect(byId).toBe('eu-west-1/123456789012/prod-rack/4c1f1b20-9a2b-11ef-8f1d-0a1b2c3d4e5f');
    expect(stackStateKey({ stackId: ARN, region: 'eu-west-1', stack: 'renamed-in-registry' })).toBe(byId);
    const recreated = ARN.replace('4c1f1b20', '99999999');
    expect(stackStateKey({ stackId: recreated, region: 'eu-west-1', stack: 'prod-rack' })).not.toBe(byId);
  });

  it('keys a stack not created yet (or registered before StackIds were kept) by region and name', () => {
    expect(stackStateKey({ region: 'us-east-1', stack: 'new-rack' })).toBe('us-east-1/new-rack');
    expect(legacyStateKey({ region: 'us-east-1', stack: 'new-rack' })).toBe('us-east-1/new-rack');
  });

  it('never yields a key that escapes its folder', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z]{2}-[a-z]+-\d$/),
        fc.stringMatching(/^\d{12}$/),
        fc.stringMatching(/^[a-zA-Z][-a-zA-Z0-9]{0,30}$/),
        fc.uuid(),
        (region, account, name, uuid) => {
          const key = stackStateKey({
            stackId: `arn:aws:cloudformation:${region}:${account}:stack/${name}/${uuid}`,
            region,
            stack: name,
          });
          expect(key).toBe(`${region}/${account}/${name}/${uuid}`);
          expect(key.split('/').includes('..')).toBe(false);
        },
      ),
    );
  });
});
