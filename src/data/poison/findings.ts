import type { FindingDraft } from '../../report/types.js';
import type { PoisonSuspicion } from './types.js';

/**
 * Suspicions as finding drafts for a data report (finalise them with finaliseFindings and
 * POISON_RULES' severities). The location points at the first row (`/rows/<id>`); the key is the
 * signal plus its token, source or (outliers) class and column, and its rows: a different suspect set
 * is a different finding.
 */
export function poisonFindingDrafts(suspicions: readonly PoisonSuspicion[], uri: string): FindingDraft[] {
  return suspicions.map((s) => {
    // Aggregated outlier suspicions are one per class (and column): those name the subject.
    const subject = String(s.evidence.token ?? s.evidence.source ?? (s.evidence.feature !== undefined ? `${String(s.evidence.label)}/${String(s.evidence.feature)}` : s.kind === 'isolation-forest-outlier' ? String(s.evidence.label) : ''));
    const location = s.rowIds.length > 0 ? { uri, pointer: `/rows/${s.rowIds[0] ?? 0}` } : { uri };
    return {
      ruleId: s.ruleId,
      message: s.message,
      location,
      evidence: { ...s.evidence, kind: s.kind, score: Math.round(s.score * 1000) / 1000, row_ids: s.rowIds.join(',') },
      key: `${s.kind}:${subject}:${s.rowIds.slice(0, 20).join(',')}`,
    };
  });
}
