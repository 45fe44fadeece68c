import type { Location } from '../../report/types.js';
import { defineRuleMeta } from '../meta.js';
import type { ArchiveAnomaly, ArchiveFacts, Rule, RuleContext } from '../types.js';

/** Anomaly kinds that make two readers see different members (the scanner and the loader disagree). */
export const NAME_ANOMALIES: ReadonlySet<string> = new Set(['name-mismatch', 'duplicate-name']);
/** Anomaly kinds about general-purpose flag bits loaders ignore but Python's zipfile honours. */
export const FLAG_ANOMALIES: ReadonlySet<string> = new Set(['flag-bits']);
/** Anomaly kinds about member paths that leave the extraction directory. */
export const PATH_ANOMALIES: ReadonlySet<string> = new Set(['path-traversal', 'absolute-path']);

function at(ctx: RuleContext, a: ArchiveAnomaly): Location {
  const member = ctx.member === undefined ? a.member : `${ctx.member}!${a.member}`;
  const loc: Location = { uri: ctx.uri, member };
  if (a.offset !== undefined) loc.offset = a.offset;
  return loc;
}

function anomalyRule(
  id: string,
  name: string,
  title: string,
  severity: 'high' | 'medium',
  kinds: ReadonlySet<string>,
  why: string,
): Rule<ArchiveFacts> {
  return {
    meta: defineRuleMeta(id, name, title, severity, ['cwe-502', 'owasp-ml06', 'atlas:AML.T0010']),
    appliesTo: 'archive',
    *check(facts, ctx) {
      for (const a of facts.anomalies) {
        if (!kinds.has(a.kind)) continue;
        yield {
          ruleId: id,
          message: `${facts.format} member ${a.member}: ${a.detail}. ${why}`,
          location: at(ctx, a),
          evidence: { anomaly: a.kind },
          key: `${a.kind}:${a.member}`,
        };
      }
    },
  };
}

/** BW-ARC-001: readers disagree on member names. */
export const inconsistentNamesRule = anomalyRule(
  'BW-ARC-001',
  'archive/inconsistent-names',
  'Archive member names are inconsistent',
  'high',
  NAME_ANOMALIES,
  'Different readers (Python zipfile, PyTorch, unzip) resolve such names differently, a known way to hide a payload from scanners.',
);

/** BW-ARC-002: flag bits that make some readers skip a member others load. */
export const unusualFlagsRule = anomalyRule(
  'BW-ARC-002',
  'archive/unusual-flags',
  'Archive member has flag bits that make scanners skip it',
  'medium',
  FLAG_ANOMALIES,
  'PyTorch ignores these bits and loads the member; Python-based scanners refuse to read it. Bulwark reads it anyway.',
);

/** BW-ARC-003: member paths that escape the extraction directory. */
export const pathTraversalRule = anomalyRule(
  'BW-ARC-003',
  'archive/path-traversal',
  'Archive member path escapes the extraction directory',
  'high',
  PATH_ANOMALIES,
  'Extracting this archive writes outside the target directory (zip-slip).',
);

/** The archive rules, in id order. */
export const ARCHIVE_RULES = [inconsistentNamesRule, unusualFlagsRule, pathTraversalRule] as const;
