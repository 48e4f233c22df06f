/**
 * A new rack's parameters, planned by the parameter-safety layer against an empty stack, and the list the
 * install's plan shows: where each value comes from, NoEcho values only as the mask. Pure: the values are
 * gathered by the caller (--param, generated secrets, answers on a terminal).
 */
import { refused, usageError, type RackError } from '../errors.js';
import { planParameters, type CloudFormationParameter, type ParameterProblem } from './parameterPlan.js';
import { MASK } from './redact.js';
import type { ParameterDeclaration } from './template.js';

/** Where a parameter's value comes from. */
export type InstallValueSource = 'user' | 'prompt' | 'generated' | 'release' | 'default';

/** One parameter as the summary shows it: NoEcho values are always MASK. */
export interface InstallParameter {
  key: string;
  noEcho: boolean;
  source: InstallValueSource;
  display: string;
  /** The migration that asks for a generated secret. */
  generatedBy?: string;
}

export interface InstallParametersInput {
  /** The rack's name, for the refusal. */
  rack: string;
  /** The release installed: the value of `Version`. */
  version: string;
  /** The template's declarations, NoEcho merged from GetTemplateSummary. */
  declarations: readonly ParameterDeclaration[];
  noEchoKeys: readonly string[];
  /** Every value known: given with --param, generated, typed at a prompt. */
  values: Readonly<Record<string, string>>;
  /** Keys whose value was generated, with the migration that asks for it. */
  generated: ReadonlyMap<string, { migration: string }>;
  /** Keys whose value was typed at a prompt. */
  prompted: ReadonlySet<string>;
}

export interface InstallParameters {
  /** Contains secrets: never shown, logged or stored. */
  parameters: CloudFormationParameter[];
  shown: InstallParameter[];
  /** Checks left to CloudFormation. */
  warnings: string[];
}

/** Plans the parameters, or throws: missing values alone exit 2 naming --param, anything else exits 3. */
export function planInstallParameters(input: InstallParametersInput): InstallParameters {
  const planned = planParameters({
    declarations: input.declarations,
    stack: [],
    noEchoKeys: input.noEchoKeys,
    userChanges: { ...input.values, Version: input.version },
  });
  if (!planned.ok) throw parameterProblems(planned.problems, input.rack, input.version);

  const secret = new Set(input.noEchoKeys);
  const sourceOf = (key: string, kind: string): InstallValueSource =>
    key === 'Version'
      ? 'release'
      : kind === 'new-default'
        ? 'default'
        : input.generated.has(key)
          ? 'generated'
          : input.prompted.has(key)
            ? 'prompt'
            : 'user';
  const shown = planned.changes.map((change): InstallParameter => {
    const noEcho = secret.has(change.key);
    const generatedBy = input.generated.get(change.key)?.migration;
    return {
      key: change.key,
      noEcho,
      source: sourceOf(change.key, change.kind),
      // The planner's display masks NoEcho values; a plain value it shows as it will be sent.
      display: noEcho ? MASK : (change.displayNew ?? ''),
      ...(generatedBy ? { generatedBy } : {}),
    };
  });
  return { parameters: planned.parameters, shown, warnings: planned.warnings };
}

/**
 * Missing values alone mean the command cannot run as typed (exit 2, naming --param for each); an
 * invalid value is a refusal (exit 3), with every problem listed.
 */
function parameterProblems(problems: readonly ParameterProblem[], rack: string, version: string): RackError {
  const missing = problems.filter((p) => p.kind === 'missing-value');
  const flags = missing.map((p) => `--param ${p.key}=<value>`).join(' ');
  if (missing.length === problems.length) {
    return usageError(
      `Release ${version} needs ${missing.length === 1 ? 'a value' : 'values'} for ${missing.map((p) => p.key).join(', ')}, which ${missing.length === 1 ? 'has' : 'have'} no default.`,
      {
        problems: missing.map((p) => `${p.key}: required; give it with --param ${p.key}=<value>`),
        untouched: 'Nothing was created.',
        next: `Run it again with ${flags}, or on a terminal without --yes to be asked.`,
        details: { missing: missing.map((p) => p.key) },
      },
    );
  }
  return refused(
    `The parameters for ${rack} were refused (${problems.length} problem${problems.length === 1 ? '' : 's'}).`,
    {
      problems: problems.map((p) =>
        p.kind === 'missing-value' ? `${p.key}: required; give it with --param ${p.key}=<value>` : p.message,
      ),
      untouched: 'Nothing was created.',
      next: 'Correct the parameters named above and run the command again.',
      details: { problems: problems.map(({ key, kind }) => ({ key, kind })) },
    },
  );
}
