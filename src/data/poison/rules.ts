import { defineRuleMeta } from '../../rules/meta.js';
import type { RuleMeta } from '../../report/types.js';

const TAGS = ['owasp-ml02', 'owasp-llm04', 'atlas:AML.T0020'];

/** Poisoning-signal rules (suspicions for review; never deletions). */
export const POISON_RULES: readonly RuleMeta[] = [
  defineRuleMeta('BW-PSN-001', 'poison/conflicting-duplicates', 'Identical rows with conflicting labels', 'high', TAGS),
  defineRuleMeta('BW-PSN-002', 'poison/knn-label-disagreement', 'Label disagrees with its nearest neighbours', 'medium', TAGS),
  defineRuleMeta('BW-PSN-003', 'poison/robust-z-outlier', 'Feature value far outside its class (robust z-score)', 'low', TAGS),
  defineRuleMeta('BW-PSN-004', 'poison/isolation-forest-outlier', 'Row isolated from its class (isolation forest)', 'low', TAGS),
  defineRuleMeta('BW-PSN-005', 'poison/label-shift-by-source', 'A source or batch has a different label distribution', 'medium', TAGS),
  defineRuleMeta('BW-PSN-006', 'poison/trigger-token', 'Rare token or value with an extreme label association (backdoor trigger)', 'high', [...TAGS, 'atlas:AML.T0018']),
];
