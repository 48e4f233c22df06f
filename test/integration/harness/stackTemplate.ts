/**
 * A tiny stack for harness tests: a NoEcho secret, a parameter that usually takes its default, a list,
 * and one cheap resource that uses them.
 */
export const STACK_TEMPLATE = JSON.stringify({
  AWSTemplateFormatVersion: '2010-09-09',
  Parameters: {
    Password: { Type: 'String', NoEcho: true },
    Size: { Type: 'String', Default: 'small' },
    Zones: { Type: 'CommaDelimitedList', Default: 'a,b' },
  },
  Resources: {
    Setting: {
      Type: 'AWS::SSM::Parameter',
      Properties: { Name: { 'Fn::Sub': '${AWS::StackName}-size' }, Type: 'String', Value: { Ref: 'Size' } },
    },
  },
});

/** The same stack with one more resource, so an update has something to change. */
export const STACK_TEMPLATE_V2 = JSON.stringify({
  ...JSON.parse(STACK_TEMPLATE),
  Resources: {
    ...JSON.parse(STACK_TEMPLATE).Resources,
    Other: {
      Type: 'AWS::SSM::Parameter',
      Properties: { Name: { 'Fn::Sub': '${AWS::StackName}-other' }, Type: 'String', Value: 'v2' },
    },
  },
});

export const SECRET = 'correct-horse-battery-staple';
