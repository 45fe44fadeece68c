/**
 * The one seam between the dataset engine and part 2's detectors (src/data/detect/, src/data/poison/).
 * The engine only ever imports detectors and the poisoning analysis from here, so swapping them is a
 * change to this file alone. The engine's own tests also use detectors written against the contract.
 */
import type { RuleMeta } from '../report/types.js';
import { DEFAULT_DETECTORS, INJECTION_RULES, PII_RULES } from './detect/index.js';
import type { ValueDetector } from './detect/types.js';
import { detectPoisoning, POISON_RULES, type PoisonInput, type PoisonResult } from './poison/index.js';

export type { ValueDetector, DetectorVerdict, DetectorCategory } from './detect/types.js';

/** The detectors a validation runs by default (part 2's DEFAULT_DETECTORS). */
export const DEFAULT_VALUE_DETECTORS: readonly ValueDetector[] = DEFAULT_DETECTORS;

/** Rule metadata of those detectors (part 2's PII/injection rule arrays). */
export const DETECTOR_RULES: readonly RuleMeta[] = [...PII_RULES, ...INJECTION_RULES];

export type { PoisonInput, PoisonResult, PoisonSuspicion } from './poison/index.js';

/** The poisoning analysis (part 2's detectPoisoning with its defaults), or undefined to skip it. */
export const POISON_ANALYSIS: ((input: PoisonInput) => PoisonResult) | undefined = (input) => detectPoisoning(input);

/** Rule metadata of the poisoning analysis (part 2's POISON_RULES). */
export const POISON_RULES_ADAPTED: readonly RuleMeta[] = POISON_RULES;
