import type { Location, RuleMeta, Severity } from '../report/types.js';
import type { RuleContext } from './types.js';

/** Where rule docs live once published; each rule links to docs/rules/<ID>.md. */
export const RULE_DOCS_BASE = 'https://github.com/bulwark-mlsecops/bulwark/blob/main/docs/rules/';

/** Builds a RuleMeta with its help link derived from the id. */
export function defineRuleMeta(id: string, name: string, title: string, severity: Severity, tags: string[]): RuleMeta {
  return { id, name, title, severity, helpUri: `${RULE_DOCS_BASE}${id}.md`, tags };
}

/** Tags every model-deserialisation rule shares (CWE-502, OWASP ML06, MITRE ATLAS). */
export const DESERIALISATION_TAGS = ['cwe-502', 'owasp-ml06', 'atlas:AML.T0010', 'atlas:AML.T0011'];

/**
 * Where a finding about the facts of `ctx` points: its uri and archive member, plus an offset and a
 * pointer when given (properties are only present when defined, as `exactOptionalPropertyTypes` needs).
 */
export function locationIn(ctx: Pick<RuleContext, 'uri' | 'member'>, offset?: number, pointer?: string): Location {
  const loc: Location = offset === undefined ? { uri: ctx.uri } : { uri: ctx.uri, offset };
  if (ctx.member !== undefined) loc.member = ctx.member;
  if (pointer !== undefined) loc.pointer = pointer;
  return loc;
}
