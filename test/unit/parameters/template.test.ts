import { describe, expect, it } from 'vitest';
import { isRackError, type RackError } from '../../../src/errors.js';
import {
  mergeNoEchoFromSummary,
  noEchoKeysOf,
  parseTemplate,
  parseTemplateParameters,
  templateOutputs,
  templateResources,
} from '../../../src/core/template.js';

function refusal(action: () => unknown): RackError {
  try {
    action();
  } catch (error) {
    if (isRackError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const yamlTemplate = `
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Version:
    Type: String
    AllowedPattern: ^\\d+\\.\\d+\\.\\d+$
    ConstraintDescription: must be a semver version
  Key:
    Type: String
    Default: ""
    MaxLength: 255
  Password:
    Type: String
    NoEcho: true
    MinLength: 8
    Description: Password of the rack API
  InstanceCount:
    Type: Number
    Default: 3
    MinValue: 1
    MaxValue: 20
  LogRetentionDays:
    Type: Number
    Default: 7
    AllowedValues: [1, 3, 7, 14, 30]
  Release:
    Type: String
    Default: 1.10
Conditions:
  HasKey: !Not [!Equals [!Ref Key, ""]]
Resources:
  Instances:
    Type: AWS::AutoScaling::AutoScalingGroup
    Condition: HasKey
    UpdatePolicy:
      AutoScalingRollingUpdate:
        MinInstancesInService: 1
    Properties:
      MinSize: !Ref InstanceCount
      VPCZoneIdentifier: [!Ref SubnetA, !Select [1, !GetAZs ""]]
      LaunchTemplate:
        LaunchTemplateId: !Ref LaunchTemplate
        Version: !GetAtt LaunchTemplate.LatestVersionNumber
      Tags:
        - Key: Name
          Value: !Sub "\${AWS::StackName}-instance"
          PropagateAtLaunch: true
  Cluster:
    Type: AWS::ECS::Cluster
Outputs:
  SettingsBucket:
    Value: !Ref Bucket
  EncryptionKey:
    Value: !GetAtt Key.Arn
    Export:
      Name: !Sub \${AWS::StackName}-key
`;

describe('parseTemplateParameters', () => {
  it('reads every declaration of a YAML template with short-form tags, in declaration order', () => {
    expect(parseTemplateParameters(yamlTemplate)).toEqual([
      {
        key: 'Version',
        type: 'String',
        noEcho: false,
        allowedPattern: '^\\d+\\.\\d+\\.\\d+$',
        constraintDescription: 'must be a semver version',
      },
      { key: 'Key', type: 'String', noEcho: false, default: '', maxLength: 255 },
      { key: 'Password', type: 'String', noEcho: true, minLength: 8, description: 'Password of the rack API' },
      { key: 'InstanceCount', type: 'Number', noEcho: false, default: '3', minValue: 1, maxValue: 20 },
      {
        key: 'LogRetentionDays',
        type: 'Number',
        noEcho: false,
        default: '7',
        allowedValues: ['1', '3', '7', '14', '30'],
      },
      { key: 'Release', type: 'String', noEcho: false, default: '1.10' },
    ]);
  });

  it('reads a JSON template, with numbers and booleans kept as CloudFormation sees them', () => {
    const json = JSON.stringify(
      {
        Parameters: {
          Size: { Type: 'Number', Default: 2, MinValue: '1', MaxValue: 10 },
          Secret: { Type: 'String', NoEcho: 'true', AllowedValues: ['a', 'b'] },
          Flag: { Type: 'String', Default: true, NoEcho: false },
        },
        Resources: {},
      },
      null,
      '\t',
    );
    expect(parseTemplateParameters(json)).toEqual([
      { key: 'Size', type: 'Number', noEcho: false, default: '2', minValue: 1, maxValue: 10 },
      { key: 'Secret', type: 'String', noEcho: true, allowedValues: ['a', 'b'] },
      { key: 'Flag', type: 'String', noEcho: false, default: 'true' },
    ]);
  });

  it('keeps the text of a plain YAML number as written: 1.10 stays "1.10", 0123 stays "0123"', () => {
    const [declaration] = parseTemplateParameters(
      'Parameters:\n  V:\n    Type: String\n    Default: 1.10\n    AllowedValues: [1.10, 0123]\n',
    );
    expect(declaration).toMatchObject({ default: '1.10', allowedValues: ['1.10', '0123'] });
  });

  it('accepts NoEcho as true, "true", "TRUE" and false', () => {
    const template = `
Parameters:
  A: { Type: String, NoEcho: true }
  B: { Type: String, NoEcho: "true" }
  C: { Type: String, NoEcho: "TRUE" }
  D: { Type: String, NoEcho: false }
  E: { Type: String }
`;
    expect(parseTemplateParameters(template).map((d) => [d.key, d.noEcho])).toEqual([
      ['A', true],
      ['B', true],
      ['C', true],
      ['D', false],
      ['E', false],
    ]);
  });

  it('treats `Default:` with nothing after it as no default', () => {
    const [declaration] = parseTemplateParameters('Parameters:\n  Name:\n    Type: String\n    Default:\n');
    expect(declaration).toEqual({ key: 'Name', type: 'String', noEcho: false });
  });

  it('follows YAML anchors and aliases', () => {
    const template = `
Parameters:
  A: &text { Type: String, MinLength: 2 }
  B: *text
`;
    expect(parseTemplateParameters(template)).toEqual([
      { key: 'A', type: 'String', noEcho: false, minLength: 2 },
      { key: 'B', type: 'String', noEcho: false, minLength: 2 },
    ]);
  });

  it('returns no declarations for a template without Parameters', () => {
    expect(parseTemplateParameters('Resources:\n  Cluster:\n    Type: AWS::ECS::Cluster\n')).toEqual([]);
  });

  it('parses every CloudFormation short-form tag on scalars, sequences and mappings', () => {
    const tags = [
      'Ref',
      'Sub',
      'GetAtt',
      'If',
      'Equals',
      'Not',
      'Select',
      'GetAZs',
      'Join',
      'Split',
      'FindInMap',
      'Base64',
      'ImportValue',
      'Condition',
      'And',
      'Or',
      'Cidr',
    ];
    const properties = tags
      .map((tag) => `      S${tag}: !${tag} a.b\n      Q${tag}: !${tag} [x, y]\n      M${tag}: !${tag} { k: v }\n`)
      .join('');
    const [resource] = templateResources(`Resources:\n  R:\n    Type: Custom::Thing\n    Properties:\n${properties}`);
    expect(resource?.properties).toMatchObject({
      SRef: { Ref: 'a.b' },
      SGetAtt: { 'Fn::GetAtt': ['a', 'b'] },
      QSub: { 'Fn::Sub': ['x', 'y'] },
      MFindInMap: { 'Fn::FindInMap': { k: 'v' } },
      SCondition: { Condition: 'a.b' },
      QCidr: { 'Fn::Cidr': ['x', 'y'] },
    });
    expect(Object.keys(resource?.properties ?? {})).toHaveLength(tags.length * 3);
  });
});

describe('invalid templates are refused with a clear message', () => {
  const cases: Array<[string, string, string]> = [
    [
      'broken YAML',
      'Parameters: [a,\n b: x',
      'The template is not valid: it is neither JSON nor YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 6.',
    ],
    ['broken JSON', '{"Parameters": {"A": }', 'The template is not valid: it is neither JSON nor YAML'],
    ['a duplicate key', 'Parameters:\n  A: { Type: String }\n  A: { Type: Number }\n', 'Map keys must be unique'],
    ['a list at the top', '- a\n- b\n', 'it must be a mapping with sections such as Parameters and Resources'],
    ['Parameters as a list', 'Parameters: [A, B]\n', 'Parameters must be a mapping of parameter names'],
    ['a declaration without Type', 'Parameters:\n  A: { Default: x }\n', 'parameter A has no Type'],
    ['a declaration that is text', 'Parameters:\n  A: String\n', 'parameter A must be a mapping with at least a Type'],
    [
      'a NoEcho that is not a boolean',
      'Parameters:\n  A: { Type: String, NoEcho: yes }\n',
      'parameter A: NoEcho must be true or false',
    ],
    [
      'a MinLength that is not a number',
      'Parameters:\n  A: { Type: String, MinLength: eight }\n',
      'parameter A: MinLength must be a whole number of characters, not "eight"',
    ],
    [
      'a negative MaxLength',
      'Parameters:\n  A: { Type: String, MaxLength: -1 }\n',
      'parameter A: MaxLength must be a whole number',
    ],
    [
      'a MinValue that is not a number',
      'Parameters:\n  A: { Type: Number, MinValue: one }\n',
      'parameter A: MinValue must be a number, not "one"',
    ],
    [
      'AllowedValues that are not a list',
      'Parameters:\n  A: { Type: String, AllowedValues: a }\n',
      'parameter A: AllowedValues must be a list of values',
    ],
    [
      'a Default that is a function',
      'Parameters:\n  A: { Type: String, Default: !Ref B }\n',
      'parameter A: Default must be text',
    ],
    ['a resource without Type', 'Resources:\n  R: { Properties: {} }\n', 'resource R has no Type'],
    ['Outputs as a list', 'Outputs: [A]\n', 'Outputs must be a mapping'],
    ['an alias inside what it names', 'Parameters: &p\n  A: *p\n', 'it contains an alias that refers to itself'],
  ];
  it.each(cases)('%s', (_name, body, expected) => {
    const error = refusal(() => parseTemplate(body));
    expect(error.kind).toBe('refused');
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain(expected);
    expect(error.untouched).toBe('Nothing was written to the stack.');
  });

  it('names the template in the message when told where it comes from', () => {
    expect(refusal(() => parseTemplate('- a\n', 'release 1.4.0')).message).toMatch(
      /^The template \(release 1\.4\.0\) is not valid: /,
    );
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i += 1)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    expect(refusal(() => parseTemplate(bomb.join('\n'))).message).toContain(
      'The template is not valid: it cannot be read',
    );
  });
});

describe('templateResources and templateOutputs', () => {
  it('lists resources in order, with their type, properties, update policy and condition', () => {
    const resources = templateResources(yamlTemplate);
    expect(resources.map((r) => [r.logicalId, r.type])).toEqual([
      ['Instances', 'AWS::AutoScaling::AutoScalingGroup'],
      ['Cluster', 'AWS::ECS::Cluster'],
    ]);
    expect(resources[0]).toMatchObject({
      condition: 'HasKey',
      updatePolicy: { AutoScalingRollingUpdate: { MinInstancesInService: 1 } },
      properties: {
        MinSize: { Ref: 'InstanceCount' },
        VPCZoneIdentifier: [{ Ref: 'SubnetA' }, { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] }],
        LaunchTemplate: { Version: { 'Fn::GetAtt': ['LaunchTemplate', 'LatestVersionNumber'] } },
      },
    });
    expect(resources[1]).toEqual({ logicalId: 'Cluster', type: 'AWS::ECS::Cluster' });
  });

  it('lists output keys in order', () => {
    expect(templateOutputs(yamlTemplate)).toEqual(['SettingsBucket', 'EncryptionKey']);
  });

  it('returns nothing for absent sections', () => {
    expect(templateResources('Parameters: {}\n')).toEqual([]);
    expect(templateOutputs('Parameters: {}\n')).toEqual([]);
  });
});

describe('NoEcho from GetTemplateSummary', () => {
  const declarations = parseTemplateParameters(yamlTemplate);

  it('marks a key NoEcho in the summary as NoEcho even if the body did not say so', () => {
    const merged = mergeNoEchoFromSummary(declarations, [
      { ParameterKey: 'Key', NoEcho: true },
      { ParameterKey: 'Version', NoEcho: false },
    ]);
    expect(merged.filter((d) => d.noEcho).map((d) => d.key)).toEqual(['Key', 'Password']);
  });

  it('keeps a key NoEcho in the body NoEcho even if the summary says otherwise', () => {
    const merged = mergeNoEchoFromSummary(declarations, [{ ParameterKey: 'Password', NoEcho: false }]);
    expect(merged.find((d) => d.key === 'Password')?.noEcho).toBe(true);
  });

  it('does not change the declarations it was given', () => {
    mergeNoEchoFromSummary(declarations, [{ ParameterKey: 'Key', NoEcho: true }]);
    expect(declarations.find((d) => d.key === 'Key')?.noEcho).toBe(false);
  });

  it('collects every NoEcho key of the body and the summary, including summary keys the body lacks', () => {
    expect(
      noEchoKeysOf(declarations, [
        { ParameterKey: 'Token', NoEcho: true },
        { ParameterKey: 'Password', NoEcho: true },
      ]),
    ).toEqual(['Password', 'Token']);
  });
});
