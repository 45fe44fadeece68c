import type { TarAnomalyKind, ZipAnomalyKind } from '../../io/index.js';
import type { Location, Severity } from '../../report/types.js';
import { defineRuleMeta } from '../meta.js';
import type { ArchiveAnomaly, ArchiveFacts, Rule, RuleContext } from '../types.js';

type ArchiveRuleId = 'BW-ARC-001' | 'BW-ARC-002' | 'BW-ARC-003' | 'BW-ARC-004';

/**
 * Which rule judges each anomaly kind the readers report. A Record over the readers' closed unions,
 * so a new anomaly kind does not compile until it is given a rule.
 */
export const ANOMALY_RULES: Readonly<Record<ZipAnomalyKind | TarAnomalyKind, ArchiveRuleId>> = {
  'name-mismatch': 'BW-ARC-001',
  'duplicate-name': 'BW-ARC-001',
  'local-header-mismatch': 'BW-ARC-001',
  'flag-bits': 'BW-ARC-002',
  'path-traversal': 'BW-ARC-003',
  'absolute-path': 'BW-ARC-003',
  'link-escape': 'BW-ARC-003',
  symlink: 'BW-ARC-003',
  'unsupported-method': 'BW-ARC-004',
  'size-mismatch': 'BW-ARC-004',
  'crc-mismatch': 'BW-ARC-004',
  'overlapping-data': 'BW-ARC-004',
  'prefix-data': 'BW-ARC-004',
  'entry-count-mismatch': 'BW-ARC-004',
  'bad-local-header': 'BW-ARC-004',
  'special-file': 'BW-ARC-004',
};

function at(ctx: RuleContext, a: ArchiveAnomaly): Location {
  const loc: Location = { uri: ctx.uri };
  // An anomaly of the archive as a whole has member ''; it is located at the archive itself.
  const member = a.member === '' ? ctx.member : ctx.member === undefined ? a.member : `${ctx.member}!${a.member}`;
  if (member !== undefined) loc.member = member;
  if (a.offset !== undefined) loc.offset = a.offset;
  return loc;
}

function anomalyRule(id: ArchiveRuleId, name: string, title: string, severity: Severity, tags: string[], why: string): Rule<ArchiveFacts> {
  return {
    meta: defineRuleMeta(id, name, title, severity, tags),
    appliesTo: 'archive',
    *check(facts, ctx) {
      for (const a of facts.anomalies) {
        if (ANOMALY_RULES[a.kind] !== id) continue;
        const subject = a.member === '' ? `${facts.format} archive` : `${facts.format} member ${a.member}`;
        yield {
          ruleId: id,
          message: `${subject}: ${a.detail}. ${why}`,
          location: at(ctx, a),
          evidence: { anomaly: a.kind },
          key: `${a.kind}:${a.member}`,
        };
      }
    },
  };
}

const ARCHIVE_TAGS = ['cwe-502', 'owasp-ml06', 'atlas:AML.T0010'];

/** BW-ARC-001: readers disagree on a member's name or header fields. */
export const inconsistentHeadersRule = anomalyRule(
  'BW-ARC-001',
  'archive/inconsistent-headers',
  'Archive headers disagree about a member',
  'high',
  ARCHIVE_TAGS,
  'Different readers (Python zipfile, PyTorch, unzip) resolve this differently, a known way to hide a payload from scanners',
);

/** BW-ARC-002: flag bits that make some readers skip a member others load. */
export const unusualFlagsRule = anomalyRule(
  'BW-ARC-002',
  'archive/unusual-flags',
  'Archive member has flag bits that make scanners skip it',
  'medium',
  ARCHIVE_TAGS,
  'PyTorch ignores these bits and loads the member; Python-based scanners refuse to read it. Bulwark reads it anyway',
);

/** BW-ARC-003: member paths that escape the extraction directory. */
export const pathTraversalRule = anomalyRule(
  'BW-ARC-003',
  'archive/path-traversal',
  'Archive member path escapes the extraction directory',
  'high',
  ['cwe-22', ...ARCHIVE_TAGS],
  'Extracting this archive writes outside the target directory (zip-slip)',
);

/** BW-ARC-004: structure that is broken or built to confuse readers. */
export const malformedStructureRule = anomalyRule(
  'BW-ARC-004',
  'archive/malformed-structure',
  'Archive structure is malformed or ambiguous',
  'medium',
  ['cwe-20', ...ARCHIVE_TAGS],
  'Well-formed archives written by model tools never look like this; readers may see different content, or be made to do excessive work',
);

/** The archive rules, in id order. */
export const ARCHIVE_RULES = [inconsistentHeadersRule, unusualFlagsRule, pathTraversalRule, malformedStructureRule] as const;
