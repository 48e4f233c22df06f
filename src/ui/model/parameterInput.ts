/**
 * Checking a parameter value as it is typed, with the parameter-safety layer itself: the planner is run
 * on the rack's current parameters with the one change, so the editor refuses exactly what
 * `rack params set` would (constraints, masked values, owned keys) before anything is sent.
 */
import { OWNED_PARAMETERS } from '../../core/parameterChanges.js';
import { planParameters, type PlannedChange } from '../../core/parameterPlan.js';
import type { ParameterDeclaration } from '../../core/template.js';

export interface EditableParameters {
  /** The current template's declarations, NoEcho merged from GetTemplateSummary. */
  declarations: readonly ParameterDeclaration[];
  /** The stack's parameters as shown: NoEcho values masked. */
  current: readonly { key: string; value: string | null; noEcho: boolean }[];
}

export interface InputCheck {
  /** Problems in the safety layer's words; empty when the value may be submitted. */
  problems: string[];
  /** The planned change for the key, when the value is allowed. */
  change?: PlannedChange;
  /** The value is what the stack has already: nothing to submit. */
  unchanged: boolean;
}

export function checkParameterInput(parameters: EditableParameters, key: string, value: string): InputCheck {
  const owner = Object.hasOwn(OWNED_PARAMETERS, key) ? OWNED_PARAMETERS[key] : undefined;
  if (owner) return { problems: [`${key} is changed with \`${owner.command}\`, not here.`], unchanged: false };
  const plan = planParameters({
    declarations: parameters.declarations,
    stack: parameters.current.map((p) => ({ key: p.key, value: p.value ?? undefined })),
    noEchoKeys: parameters.current.filter((p) => p.noEcho).map((p) => p.key),
    userChanges: { [key]: value },
  });
  if (!plan.ok) {
    // Only this key's problems: others (a stack the template no longer fits) are not the editor's to fix.
    const own = plan.problems.filter((p) => p.key === key);
    return { problems: (own.length > 0 ? own : plan.problems).map((p) => p.message), unchanged: false };
  }
  const change = plan.changes.find((c) => c.key === key);
  const noEcho = parameters.current.find((p) => p.key === key)?.noEcho ?? false;
  const currentValue = parameters.current.find((p) => p.key === key)?.value;
  return { problems: [], change, unchanged: !noEcho && currentValue === value };
}
