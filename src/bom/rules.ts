import type { RuleMeta } from '../report/types.js';
import { defineRuleMeta } from '../rules/meta.js';

/** A model whose card (README front matter) declares no licence: users cannot tell whether they may use it. */
export const RULE_MODEL_WITHOUT_LICENCE = defineRuleMeta('BW-BOM-001', 'bom/model-without-licence', 'Model without a declared licence', 'low', ['owasp-ml06', 'supply-chain']);
/** A dataset the BOM names but cannot pin by digest (no local copy, no fingerprint). */
export const RULE_DATASET_WITHOUT_DIGEST = defineRuleMeta('BW-BOM-002', 'bom/dataset-without-digest', 'Dataset without a digest', 'low', ['owasp-ml02', 'supply-chain', 'atlas:AML.T0020']);
/** A library declared without an exact version: the BOM cannot say what is installed. */
export const RULE_UNPINNED_LIBRARY = defineRuleMeta('BW-BOM-003', 'bom/unpinned-library', 'Library without a pinned version', 'low', ['owasp-ml06', 'supply-chain']);

/** Every ML-BOM rule (docs/rules/BW-BOM-00N.md). */
export const BOM_RULES: readonly RuleMeta[] = [RULE_MODEL_WITHOUT_LICENCE, RULE_DATASET_WITHOUT_DIGEST, RULE_UNPINNED_LIBRARY];
