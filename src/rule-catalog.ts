/**
 * Every rule Bulwark can report, across all analysers: the scanner's built-in rules, signature
 * verification, data validation (expectations, PII, injection, poisoning), drift, the dependency
 * audit's own rules (vulnerabilities use their OSV ids and are not listed) and the ML-BOM. The docs
 * test holds each to a docs/rules page and a README row; front-ends use it to describe a rule id.
 */
import { BOM_RULES } from './bom/index.js';
import { PII_RULES, INJECTION_RULES } from './data/detect/index.js';
import { DATA_RULES } from './data/index.js';
import { POISON_RULES } from './data/poison/index.js';
import { DEPS_RULES } from './deps/index.js';
import { DRIFT_RULES } from './drift/index.js';
import type { RuleMeta } from './report/types.js';
import { BUILTIN_RULES } from './rules/index.js';
import { SIGN_RULES } from './sign/index.js';

/** The rule sets, by analyser, in the order the README lists them. */
export const RULE_SETS: readonly { readonly analyser: string; readonly rules: readonly RuleMeta[] }[] = [
  { analyser: 'scan', rules: BUILTIN_RULES.map((r) => r.meta) },
  { analyser: 'verify', rules: SIGN_RULES },
  { analyser: 'data', rules: [...DATA_RULES, ...PII_RULES, ...INJECTION_RULES, ...POISON_RULES] },
  { analyser: 'drift', rules: DRIFT_RULES },
  { analyser: 'deps', rules: DEPS_RULES },
  { analyser: 'bom', rules: BOM_RULES },
];

/** Every rule's metadata, each id once. */
export const ALL_RULES: readonly RuleMeta[] = RULE_SETS.flatMap((s) => s.rules);

/** The metadata of a rule id, or undefined (vulnerability ids from OSV are not catalogued). */
export function ruleMetaOf(id: string): RuleMeta | undefined {
  return ALL_RULES.find((r) => r.id === id);
}
