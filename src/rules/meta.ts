import type { RuleMeta, Severity } from '../report/types.js';

/** Where rule docs live once published; each rule links to docs/rules/<ID>.md. */
export const RULE_DOCS_BASE = 'https://github.com/bulwark-mlsecops/bulwark/blob/main/docs/rules/';

/** Builds a RuleMeta with its help link derived from the id. */
export function defineRuleMeta(id: string, name: string, title: string, severity: Severity, tags: string[]): RuleMeta {
  return { id, name, title, severity, helpUri: `${RULE_DOCS_BASE}${id}.md`, tags };
}

/** Tags every model-deserialisation rule shares (CWE-502, OWASP ML06, MITRE ATLAS). */
export const DESERIALISATION_TAGS = ['cwe-502', 'owasp-ml06', 'atlas:AML.T0010', 'atlas:AML.T0011'];
