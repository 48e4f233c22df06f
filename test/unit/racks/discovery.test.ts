import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rackNameFor } from '../../../src/core/discovery.js';
import { stackContractGaps } from '../../../src/core/rackContract.js';
import { RACK_NAME } from '../../../src/core/rackName.js';

describe('a discovered stack', () => {
  it('is a rack when it has the parameters Version and Key and the outputs SettingsBucket and EncryptionKey', () => {
    expect(
      stackContractGaps({
        parameters: ['Version', 'Key', 'Password'],
        outputs: ['SettingsBucket', 'EncryptionKey', 'Cluster'],
      }),
    ).toEqual([]);
    expect(stackContractGaps({ parameters: ['Version'], outputs: ['SettingsBucket'] })).toEqual([
      'parameter Key',
      'output EncryptionKey',
    ]);
    expect(stackContractGaps({ parameters: [], outputs: [] })).toHaveLength(4);
  });

  it('is registered under its stack name, else its stack name and region, else not at all', () => {
    expect(rackNameFor('prod', 'us-east-1', new Set())).toBe('prod');
    expect(rackNameFor('prod', 'us-east-1', new Set(['prod']))).toBe('prod-us-east-1');
    expect(rackNameFor('prod', 'us-east-1', new Set(['prod', 'prod-us-east-1']))).toBeUndefined();
  });

  it('gets a name that is valid and not taken, whatever the stack is called', () => {
    const stackName = fc.stringMatching(/^[a-zA-Z][-a-zA-Z0-9]{0,127}$/);
    fc.assert(
      fc.property(stackName, fc.array(stackName), (stack, taken) => {
        const name = rackNameFor(stack, 'eu-west-1', new Set(taken));
        if (name === undefined) return;
        expect(RACK_NAME.test(name)).toBe(true);
        expect(taken).not.toContain(name);
      }),
    );
  });
});
