import { describe, expect, it } from 'vitest';
import {
  constraintViolations,
  uncheckablePattern,
  valueShape,
  type ParameterDeclaration,
} from '../../../src/core/template.js';

const plain = (value: string) => ({ subject: JSON.stringify(value), secret: false });
const secretWording = { subject: 'the value', secret: true };

function declared(type: string, constraints: Partial<ParameterDeclaration> = {}): ParameterDeclaration {
  return { key: 'P', type, noEcho: false, ...constraints };
}

function violations(declaration: ParameterDeclaration, value: string) {
  return constraintViolations(declaration, value, plain(value));
}

describe('valueShape', () => {
  it.each([
    ['String', 'text'],
    ['Number', 'number'],
    ['List<Number>', 'number-list'],
    ['CommaDelimitedList', 'list'],
    ['List<AWS::EC2::Subnet::Id>', 'list'],
    ['AWS::EC2::KeyPair::KeyName', 'text'],
    ['AWS::SSM::Parameter::Value<List<String>>', 'text'],
  ])('%s is read as %s', (type, shape) => {
    expect(valueShape(type)).toBe(shape);
  });
});

describe('Type', () => {
  it.each(['0', '3', '-2', '+7', '1.5', '.5', '5.', '1e3', '2.5E-2'])('accepts the number %s', (value) => {
    expect(violations(declared('Number'), value)).toEqual([]);
  });

  it.each(['abc', '', ' 3', '3 ', '0x10', 'Infinity', 'NaN', '1,2', '--1', '1e'])(
    'refuses %j for Type Number',
    (value) => {
      expect(violations(declared('Number'), value)).toEqual([`${JSON.stringify(value)} is not a number (Type Number)`]);
    },
  );

  it('accepts a list of numbers, with spaces around the commas', () => {
    expect(violations(declared('List<Number>'), '80, 443,8080')).toEqual([]);
  });

  it('names the elements of List<Number> that are not numbers', () => {
    expect(violations(declared('List<Number>'), '80,http,,443')).toEqual([
      '"80,http,,443" is not a list of numbers (Type List<Number>): "http", ""',
    ]);
  });

  it('does not check what it cannot: AWS-specific types take any text here', () => {
    expect(violations(declared('AWS::EC2::KeyPair::KeyName'), 'any key name')).toEqual([]);
  });
});

describe('AllowedValues', () => {
  const instanceType = declared('String', { allowedValues: ['t3.small', 't3.large'] });

  it('accepts an allowed value and refuses another, listing the allowed ones', () => {
    expect(violations(instanceType, 't3.small')).toEqual([]);
    expect(violations(instanceType, 't9.huge')).toEqual([
      '"t9.huge" is not one of the allowed values: "t3.small", "t3.large"',
    ]);
  });

  it('compares exactly: case and spaces matter', () => {
    expect(violations(instanceType, 'T3.small')).toHaveLength(1);
    expect(violations(instanceType, 't3.small ')).toHaveLength(1);
  });

  it('applies to a Number as written', () => {
    const retention = declared('Number', { allowedValues: ['1', '7', '30'] });
    expect(violations(retention, '7')).toEqual([]);
    expect(violations(retention, '8')).toEqual(['"8" is not one of the allowed values: "1", "7", "30"']);
  });

  it('applies to each element of a CommaDelimitedList, naming those outside', () => {
    const zones = declared('CommaDelimitedList', { allowedValues: ['a', 'b', 'c'] });
    expect(violations(zones, 'a,c')).toEqual([]);
    expect(violations(zones, 'a,x,y')).toEqual([
      '"a,x,y" has 2 elements outside the allowed values ("a", "b", "c"): "x", "y"',
    ]);
  });

  it('shows at most twelve allowed values', () => {
    const many = declared('String', { allowedValues: Array.from({ length: 15 }, (_, i) => `v${i}`) });
    expect(violations(many, 'x')[0]).toMatch(/"v11" and 3 more$/);
  });
});

describe('AllowedPattern', () => {
  const name = declared('String', { allowedPattern: '[a-z]+' });

  it('must match the whole value, as CloudFormation anchors it', () => {
    expect(violations(name, 'rack')).toEqual([]);
    expect(violations(name, 'rack1')).toEqual(['"rack1" does not match the pattern [a-z]+ (AllowedPattern)']);
    expect(violations(name, '1rack')).toHaveLength(1);
  });

  it('anchors alternatives as a whole', () => {
    expect(violations(declared('String', { allowedPattern: 'a|b' }), 'ab')).toHaveLength(1);
  });

  it('applies to each element of a list', () => {
    const subnets = declared('CommaDelimitedList', { allowedPattern: 'subnet-[0-9a-f]+' });
    expect(violations(subnets, 'subnet-0a,subnet-1b')).toEqual([]);
    expect(violations(subnets, 'subnet-0a,vpc-1')).toEqual([
      '"subnet-0a,vpc-1" has an element not matching the pattern subnet-[0-9a-f]+ (AllowedPattern): "vpc-1"',
    ]);
  });

  it('reads Java-style identity escapes such as \\- and \\_ as Java does', () => {
    const key = declared('String', { allowedPattern: '[a-zA-Z0-9\\-\\_]*' });
    expect(violations(key, 'my-key_1')).toEqual([]);
    expect(violations(key, 'my key')).toHaveLength(1);
    expect(uncheckablePattern(key)).toBeUndefined();
  });

  it.each(['\\p{Alpha}+', '[a-z]++', '(?i)abc', '\\Qa.b\\E', '(?>a)'])(
    'leaves the Java-only pattern %s to CloudFormation',
    (pattern) => {
      const declaration = declared('String', { allowedPattern: pattern });
      expect(violations(declaration, 'anything at all')).toEqual([]);
      expect(uncheckablePattern(declaration)).toBe(
        `the AllowedPattern of P (${pattern}) cannot be checked before the update; CloudFormation will check it`,
      );
    },
  );

  it('has nothing to report when there is no pattern', () => {
    expect(uncheckablePattern(declared('String'))).toBeUndefined();
  });
});

describe('MinLength and MaxLength', () => {
  const password = declared('String', { minLength: 8, maxLength: 12 });

  it('accept the bounds themselves', () => {
    expect(violations(password, '12345678')).toEqual([]);
    expect(violations(password, '123456789012')).toEqual([]);
  });

  it('refuse a value too short or too long', () => {
    expect(violations(password, '1234567')).toEqual(['"1234567" is shorter than 8 characters (MinLength)']);
    expect(violations(password, '1234567890123')).toEqual(['"1234567890123" is longer than 12 characters (MaxLength)']);
  });

  it('do not apply to numbers', () => {
    expect(violations(declared('Number', { minLength: 5 }), '1')).toEqual([]);
  });
});

describe('MinValue and MaxValue', () => {
  const count = declared('Number', { minValue: 1, maxValue: 20 });

  it('accept the bounds themselves and compare as numbers', () => {
    expect(violations(count, '1')).toEqual([]);
    expect(violations(count, '20')).toEqual([]);
    expect(violations(count, '1.5e1')).toEqual([]);
  });

  it('refuse a value below or above', () => {
    expect(violations(count, '0')).toEqual(['"0" is below the minimum 1 (MinValue)']);
    expect(violations(count, '21')).toEqual(['"21" is above the maximum 20 (MaxValue)']);
  });

  it('apply to each element of List<Number>', () => {
    const ports = declared('List<Number>', { minValue: 1, maxValue: 65535 });
    expect(violations(ports, '0,80,70000')).toEqual([
      '"0,80,70000" has an element below the minimum 1 (MinValue): "0"',
      '"0,80,70000" has an element above the maximum 65535 (MaxValue): "70000"',
    ]);
  });
});

describe('every violation at once, and the ConstraintDescription', () => {
  it('lists each broken constraint, each followed by the ConstraintDescription', () => {
    const declaration = declared('String', {
      allowedPattern: '[a-z]+',
      minLength: 3,
      allowedValues: ['abc'],
      constraintDescription: 'three lowercase letters',
    });
    expect(violations(declaration, 'A')).toEqual([
      '"A" is not one of the allowed values: "abc" (three lowercase letters)',
      '"A" does not match the pattern [a-z]+ (AllowedPattern) (three lowercase letters)',
      '"A" is shorter than 3 characters (MinLength) (three lowercase letters)',
    ]);
  });
});

describe('secrets are never quoted', () => {
  it('names a secret value only as "the value"', () => {
    const password = declared('String', { minLength: 8, allowedPattern: '[a-z]+' });
    const found = constraintViolations(password, 'S3cr3t!', secretWording);
    expect(found).toEqual([
      'the value does not match the pattern [a-z]+ (AllowedPattern)',
      'the value is shorter than 8 characters (MinLength)',
    ]);
    expect(found.join('\n')).not.toContain('S3cr3t');
  });

  it('does not name the elements of a secret list', () => {
    const tokens = declared('CommaDelimitedList', { allowedPattern: 'tok-[0-9]+' });
    const numbers = declared('List<Number>', { maxValue: 10 });
    const found = [
      ...constraintViolations(tokens, 'tok-1,hunter2', secretWording),
      ...constraintViolations(numbers, '1,x9', secretWording),
      ...constraintViolations(numbers, '1,99', secretWording),
    ];
    expect(found).toEqual([
      'the value has an element not matching the pattern tok-[0-9]+ (AllowedPattern)',
      'the value is not a list of numbers (Type List<Number>)',
      'the value has an element above the maximum 10 (MaxValue)',
    ]);
  });
});
