/**
 * The dependency audit's own rules. Vulnerabilities are reported under their OSV ids, with a
 * RuleMeta built per vulnerability ({@link vulnerabilityRuleMeta}); these are the rest.
 */
import type { RuleMeta, Severity } from '../report/types.js';
import { defineRuleMeta } from '../rules/meta.js';
import type { VulnerabilityMatch } from './osv/match.js';

/** Tags every dependency rule shares: CWE-1395 (dependency on vulnerable third-party component), OWASP ML06 (AI supply chain attacks). */
export const DEPENDENCY_TAGS = ['cwe-1395', 'owasp-ml06', 'atlas:AML.T0010'];

/** BW-DEP-001: a requirement without an exact pin. */
export const UNPINNED_REQUIREMENT = defineRuleMeta(
  'BW-DEP-001',
  'deps/unpinned-requirement',
  'Requirement is not pinned to an exact version',
  'medium',
  [...DEPENDENCY_TAGS, 'cwe-1357'],
);

/** BW-DEP-002: a dependency taken from a VCS, URL, local path or editable install. */
export const UNRESOLVABLE_REFERENCE = defineRuleMeta(
  'BW-DEP-002',
  'deps/unresolvable-reference',
  'Dependency comes from a VCS, URL or local path, not a package index',
  'low',
  [...DEPENDENCY_TAGS, 'cwe-494'],
);

/** Every BW-DEP rule, for the docs test and the README. */
export const DEPS_RULES: readonly RuleMeta[] = [UNPINNED_REQUIREMENT, UNRESOLVABLE_REFERENCE];

/** OSV's page for a vulnerability id. */
export function osvUrl(id: string): string {
  return `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

/**
 * The RuleMeta of one vulnerability: id = the preferred OSV id, title = its summary, help = its
 * osv.dev page, tags = the dependency tags plus the CWE ids the advisory lists
 * (`database_specific.cwe_ids`, as GitHub advisories give them). `severity` is the highest any
 * affected dependency got (it is the same record, so normally one value).
 */
export function vulnerabilityRuleMeta(match: VulnerabilityMatch, severity: Severity = match.severity): RuleMeta {
  const cwes = new Set<string>();
  for (const r of match.records) {
    const ids = r.database_specific?.cwe_ids;
    if (Array.isArray(ids)) for (const c of ids) if (typeof c === 'string' && /^CWE-\d+$/.test(c)) cwes.add(c.toLowerCase());
  }
  return {
    id: match.id,
    name: `osv/${match.id}`,
    title: match.summary,
    severity,
    helpUri: osvUrl(match.id),
    tags: [...DEPENDENCY_TAGS, ...[...cwes].sort()],
  };
}
