import { defineRuleMeta } from '../rules/meta.js';
import type { RuleMeta } from '../report/types.js';

/** Tags shared by drift rules: OWASP ML Top 10 ML08 (model skewing), ATLAS AML.T0020 (poison training data) is not claimed. */
const DRIFT_TAGS = ['owasp-ml08'];

/** One column's distribution changed (test per docs/drift.md). */
export const BW_DRF_001 = defineRuleMeta('BW-DRF-001', 'drift/column', 'Column distribution drifted from the reference', 'medium', DRIFT_TAGS);
/** The share of drifted columns reached the dataset threshold. */
export const BW_DRF_002 = defineRuleMeta('BW-DRF-002', 'drift/dataset', 'Dataset drifted: too many columns changed', 'high', DRIFT_TAGS);
/** The joint distribution changed (PCA reconstruction error outside the reference bounds). */
export const BW_DRF_003 = defineRuleMeta('BW-DRF-003', 'drift/multivariate', 'Multivariate drift: PCA reconstruction error outside reference bounds', 'high', DRIFT_TAGS);
/** Prediction scores or classes drifted, or the share of high-confidence predictions changed. */
export const BW_DRF_004 = defineRuleMeta('BW-DRF-004', 'drift/prediction', 'Prediction drift or confidence anomaly', 'high', [...DRIFT_TAGS, 'atlas:AML.T0043']);

/** Every drift rule. */
export const DRIFT_RULES: readonly RuleMeta[] = [BW_DRF_001, BW_DRF_002, BW_DRF_003, BW_DRF_004];
