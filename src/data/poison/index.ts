/** Poisoning signals over labelled rows (see docs/data-detectors.md). */
export { DEFAULT_POISON_OPTIONS, detectPoisoning, suspectedRows, tokenize } from './detect.js';
export { averagePathLength, isolationForestScores } from './isolation-forest.js';
export { poisonFindingDrafts } from './findings.js';
export { POISON_RULES } from './rules.js';
export { makeCleanImbalancedDataset, makePlantedPoisonDataset, type CleanImbalancedOptions, type PlantedPoisonDataset, type PlantedPoisonOptions } from './planted.js';
export type { PoisonInput, PoisonOptions, PoisonResult, PoisonSuspicion } from './types.js';
