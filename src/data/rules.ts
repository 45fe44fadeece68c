/**
 * Rules of dataset validation: one rule per expectation family (so a policy can treat schema breaks
 * differently from a few out-of-range values), plus oversized cells, which the engine measures as a
 * plain length aggregate. The failing expectation (its index and type) is in each finding's evidence.
 */
import type { RuleMeta } from '../report/types.js';
import { defineRuleMeta } from '../rules/meta.js';
import type { ExpectationType } from './suite.js';

const QUALITY = ['data-quality', 'owasp-ml02'];

/** Every BW-DAT rule. */
export const DATA_RULES: readonly RuleMeta[] = [
  defineRuleMeta('BW-DAT-001', 'data/schema-mismatch', 'Dataset columns or column types differ from the expectation suite', 'high', [...QUALITY, 'cwe-20']),
  defineRuleMeta('BW-DAT-002', 'data/row-count-out-of-range', 'Dataset row count is outside the expected range', 'medium', QUALITY),
  defineRuleMeta('BW-DAT-003', 'data/incomplete-column', 'Column has more missing values than expected', 'medium', QUALITY),
  defineRuleMeta('BW-DAT-004', 'data/invalid-values', 'Column values fail a validity expectation (range, set, pattern, length, parseability)', 'medium', [...QUALITY, 'cwe-20']),
  defineRuleMeta('BW-DAT-005', 'data/duplicate-keys', 'Values expected to be unique are duplicated', 'medium', QUALITY),
  defineRuleMeta('BW-DAT-006', 'data/aggregate-out-of-range', 'A column statistic (mean, std, quantile, distinct count) is outside the expected range', 'medium', QUALITY),
  defineRuleMeta('BW-DAT-007', 'data/cross-column-violation', 'Rows violate an expected relation between two columns', 'medium', QUALITY),
  defineRuleMeta('BW-DAT-008', 'data/label-imbalance', 'Label classes are more imbalanced than expected', 'medium', [...QUALITY, 'atlas:AML.T0020']),
  defineRuleMeta('BW-DAT-009', 'data/sql-expectation-failed', 'A custom read-only SQL expectation returned unexpected rows', 'medium', QUALITY),
  defineRuleMeta('BW-DAT-010', 'data/oversized-values', 'Text cells longer than the configured bound', 'low', ['cwe-400', 'cwe-770']),
];

/** The rule an expectation type reports under. */
export function ruleForExpectation(type: ExpectationType): string {
  switch (type) {
    case 'columns':
      return 'BW-DAT-001';
    case 'row_count':
      return 'BW-DAT-002';
    case 'not_null':
      return 'BW-DAT-003';
    case 'between':
    case 'in_set':
    case 'regex':
    case 'length_between':
    case 'parseable':
      return 'BW-DAT-004';
    case 'unique':
      return 'BW-DAT-005';
    case 'aggregate_between':
      return 'BW-DAT-006';
    case 'compare':
      return 'BW-DAT-007';
    case 'label_balance':
      return 'BW-DAT-008';
    case 'sql':
      return 'BW-DAT-009';
    default: {
      const never: never = type;
      return never;
    }
  }
}
