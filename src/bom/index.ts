/**
 * ML-BOM: CycloneDX 1.6 (machine-learning-model components with a modelCard) and SPDX 3.0.1
 * (AI and Dataset profiles) from the parsed model, its card and config, datasets and lockfiles.
 */
export { buildBom } from './build-bom.js';
export { BOM_RULES, RULE_DATASET_WITHOUT_DIGEST, RULE_MODEL_WITHOUT_LICENCE, RULE_UNPINNED_LIBRARY } from './rules.js';
export { BOM_FORMATS, DEFAULT_BOM_OPTIONS, type BomFormat, type BomOptions, type BomResult, type BomFacts, type DatasetFacts, type ModelFacts, type ModelConfigFacts, type DependencyReader } from './types.js';
export { parseModelCard, MAX_MODEL_CARD_BYTES, type ModelCardFacts } from './model-card.js';
export { readWeightFacts, weightFormatOf, WEIGHT_EXTENSIONS, type WeightFacts } from './weights.js';
export { SPDX_CONTEXT } from './spdx.js';
