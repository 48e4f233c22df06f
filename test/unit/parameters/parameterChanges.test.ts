import { describe, expect, it } from 'vitest';
import { isRackError, type RackError } from '../../../src/errors.js';
import { parseParameterArgs, refuseOwnedKeys } from '../../../src/core/parameterChanges.js';

function thrown(action: () => unknown): RackError {
  try {
    action();
  } catch (error) {
    if (isRackError(error)) return error;
    throw error;
  }
  throw new Error('expected a RackError');
}

describe('parseParameterArgs', () => {
  it('reads K=V pairs in order', () => {
    expect(parseParameterArgs(['InstanceType=t3.large', 'InstanceCount=4'])).toEqual({
      InstanceType: 't3.large',
      InstanceCount: '4',
    });
  });

  it('splits at the first "=" only, so a value may contain "="', () => {
    expect(parseParameterArgs(['Password=a=b==c'])).toEqual({ Password: 'a=b==c' });
  });

  it('reads `K=` as the empty string', () => {
    expect(parseParameterArgs(['Key='])).toEqual({ Key: '' });
  });

  it('keeps spaces and unusual characters in values as given', () => {
    expect(parseParameterArgs(['Motd= hello, world ', 'Token=*a*'])).toEqual({ Motd: ' hello, world ', Token: '*a*' });
  });

  it('keeps `__proto__` an ordinary key', () => {
    const changes = parseParameterArgs(['__proto__=x']);
    expect(Object.keys(changes)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(changes)).toBe(Object.prototype);
  });

  it('refuses a key without "=" (exit 2), naming the argument and the form', () => {
    const error = thrown(() => parseParameterArgs(['InstanceCount=3', 'InstanceType']));
    expect(error.kind).toBe('usage');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('"InstanceType" is not a parameter change: expected KEY=VALUE.');
    expect(error.next).toBe('Write it as `InstanceType=<value>` (`InstanceType=` sets it to the empty string).');
  });

  it('refuses an empty list of changes (exit 2)', () => {
    const error = thrown(() => parseParameterArgs([]));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('No parameter changes given.');
    expect(error.next).toContain('KEY=VALUE');
  });

  it('accepts an empty list when told it may be empty', () => {
    expect(parseParameterArgs([], { allowEmpty: true })).toEqual({});
  });

  it('refuses "=value" without a key (exit 2), without echoing the value', () => {
    const error = thrown(() => parseParameterArgs(['=hunter2']));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('A parameter change has no key before "=": expected KEY=VALUE.');
    expect(JSON.stringify(error)).not.toContain('hunter2');
  });

  it('refuses a key given twice (exit 2), without echoing either value', () => {
    const error = thrown(() => parseParameterArgs(['Password=first-secret', 'Password=second-secret']));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('Parameter Password is given more than once.');
    expect(`${error.message} ${error.next}`).not.toMatch(/secret/);
  });
});

describe('refuseOwnedKeys', () => {
  it('lets other keys through', () => {
    expect(() => refuseOwnedKeys({ InstanceType: 't3.large', Password: 'x' })).not.toThrow();
  });

  it('refuses Version (exit 3), naming `rack update`', () => {
    const error = thrown(() => refuseOwnedKeys({ InstanceCount: '2', Version: '1.4.0' }));
    expect(error.kind).toBe('refused');
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe('Version cannot be set with `rack params set`: use `rack update`.');
    expect(error.problems).toEqual([
      expect.stringMatching(/^Version is changed with `rack update`: .*`rack update --version <version>`/),
    ]);
    expect(error.untouched).toBe('Nothing was written to the stack.');
    expect(error.next).toBe('Change Version with `rack update`.');
  });

  it('refuses Key (exit 3), naming `rack instances keyroll`', () => {
    const error = thrown(() => refuseOwnedKeys({ Key: 'my-key' }));
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe('Key cannot be set with `rack params set`: use `rack instances keyroll`.');
    expect(error.problems).toEqual([expect.stringMatching(/^Key is changed with `rack instances keyroll`: /)]);
  });

  it('refuses both at once, one problem each', () => {
    const error = thrown(() => refuseOwnedKeys({ Key: 'k', Version: '1.0.0' }));
    expect(error.message).toBe('Key and Version cannot be set with `rack params set`.');
    expect(error.problems).toHaveLength(2);
    expect(error.next).toBe('Change Key with `rack instances keyroll`. Change Version with `rack update`.');
  });

  it('is case-sensitive, as CloudFormation keys are: `version` is left to the planner', () => {
    expect(() => refuseOwnedKeys({ version: '1.0.0' })).not.toThrow();
  });
});
