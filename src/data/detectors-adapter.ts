/**
 * The one seam between the dataset engine and part 2's detectors (src/data/detect/, src/data/poison/).
 * The engine only ever imports detectors and the poisoning analysis from here, so wiring them in is a
 * change to this file alone. Until part 2's public modules land, the lists are empty and poisoning is
 * reported as skipped; the engine is tested with detectors written against the same contract.
 */
import type { RuleMeta } from '../report/types.js';
import type { ValueDetector } from './detect/types.js';

export type { ValueDetector, DetectorVerdict, DetectorCategory } from './detect/types.js';

/** The detectors a validation runs by default (part 2's DEFAULT_DETECTORS once it lands). */
export const DEFAULT_VALUE_DETECTORS: readonly ValueDetector[] = [];

/** Rule metadata of those detectors (part 2's PII/injection rule arrays). */
export const DETECTOR_RULES: readonly RuleMeta[] = [];

/** Rows the poisoning analysis sees (row id = 0-based row number in file order). */
export interface PoisonInput {
  rowIds: number[];
  labels: string[];
  numeric: { name: string; values: Float64Array }[];
  categorical: { name: string; values: (string | null)[] }[];
  text: { name: string; values: (string | null)[] }[];
  source?: { name: string; values: (string | null)[] };
}

/** One ranked suspicion of the poisoning analysis. */
export interface PoisonSuspicion {
  ruleId: string;
  kind: string;
  score: number;
  rowIds: number[];
  message: string;
  evidence: Record<string, string | number | boolean>;
}

/** The poisoning analysis' result. */
export interface PoisonResult {
  suspicions: PoisonSuspicion[];
  metrics: Record<string, number>;
}

/** The poisoning analysis (part 2's detectPoisoning), or undefined while it is not built in. */
export const POISON_ANALYSIS: ((input: PoisonInput) => PoisonResult) | undefined = undefined;

/** Rule metadata of the poisoning analysis (part 2's POISON_RULES). */
export const POISON_RULES_ADAPTED: readonly RuleMeta[] = [];
