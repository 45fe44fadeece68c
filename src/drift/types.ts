/** Shared types of the drift analyser (plain JSON objects: they are stored in profiles and reports). */

/** How a column is treated; inferred from its SQL type and cardinality, overridable per column. */
export type ColumnKind = 'binary' | 'categorical' | 'high-cardinality' | 'continuous' | 'text' | 'datetime';

/** Every column kind. */
export const COLUMN_KINDS: readonly ColumnKind[] = ['binary', 'categorical', 'high-cardinality', 'continuous', 'text', 'datetime'];

/** A drift test. `none` profiles the column without testing it (the default for datetime). */
export type DriftMethod = 'ks' | 'wasserstein' | 'psi' | 'chi-square' | 'jensen-shannon' | 'z-test' | 'none';

/** Every drift method. */
export const DRIFT_METHODS: readonly DriftMethod[] = ['ks', 'wasserstein', 'psi', 'chi-square', 'jensen-shannon', 'z-test', 'none'];

/** Multiple-testing correction over the p-value tests of one run. */
export type Correction = 'none' | 'bonferroni' | 'bh';

/** Every correction. */
export const CORRECTIONS: readonly Correction[] = ['none', 'bonferroni', 'bh'];

/** The numeric summary of a continuous (or text-length, or datetime-epoch) column. */
export interface NumericProfile {
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Quantiles at {@link PROFILE_QUANTILES}. */
  quantiles: number[];
  /** Fine equal-width bins over [min, max] (Wasserstein): edges (FINE_BINS + 1) and counts. */
  fineEdges: number[];
  fineCounts: number[];
  /** Reference deciles (PSI): 11 edges, counts of the reference in each. */
  decileEdges: number[];
  decileCounts: number[];
  /** A seeded uniform sample of the values (KS, monitor thresholds), at most the sample cap. */
  sample: number[];
  /** Values with max(v, 1 − v) ≥ the confidence threshold, for columns inside [0, 1] (scores). */
  highConfidence?: { threshold: number; count: number };
}

/** The frequency summary of a binary, categorical or high-cardinality column. */
export interface CategoricalProfile {
  /** The most frequent values (as text), most frequent first, at most the top-k cap. */
  values: string[];
  counts: number[];
  /** Rows with a value beyond the top-k. */
  other: number;
  distinct: number;
}

/** One column of a reference profile. */
export interface ColumnProfile {
  name: string;
  kind: ColumnKind;
  sqlType: string;
  /** Non-missing values. */
  count: number;
  missing: number;
  numeric?: NumericProfile;
  categorical?: CategoricalProfile;
}

/** PCA reconstruction-error model (NannyML's multivariate drift detector). */
export interface PcaModel {
  columns: string[];
  means: number[];
  stds: number[];
  /** Kept principal axes, one row per component, in standardised space. */
  components: number[][];
  explainedVariance: number;
  /** Mean and std of the mean reconstruction error over reference chunks of `chunkSize` rows. */
  chunkSize: number;
  errorMean: number;
  errorStd: number;
}

/** Settings of a profile (defaults: `DEFAULT_PROFILE_SETTINGS` in profile.ts). */
export interface ProfileSettings {
  fineBins: number;
  sampleSize: number;
  topK: number;
  confidenceThreshold: number;
}

/** A saved reference: everything `bulwark drift` and `bulwark monitor` need, without the raw data. */
export interface DriftProfile {
  format: 'bulwark-drift-profile';
  version: 1;
  source: { name: string; sha256: string; rows: number };
  settings: ProfileSettings;
  columns: ColumnProfile[];
  pca?: PcaModel;
}

/** The result of testing one column. */
export interface ColumnDriftResult {
  column: string;
  kind: ColumnKind;
  role: 'feature' | 'prediction' | 'target';
  method: DriftMethod;
  statistic: number;
  pValue?: number;
  /** p-value after correction (Bonferroni: p·k capped at 1; BH: the step-up adjusted p). */
  adjustedPValue?: number;
  /** For p-value tests the alpha; for distances the minimum distance that counts as drift. */
  threshold: number;
  drifted: boolean;
  n: { reference: number; current: number };
  /** How the values were grouped: e.g. `fine-100`, `deciles`, `categories-12+unseen`, `sample-5000`. */
  binning: string;
  /** Always reported: PSI on reference deciles (numeric) or categories, and the unseen share. */
  psi: number;
  unseenShare: number;
  missingShare: { reference: number; current: number };
  /** Histogram for the page: labels and shares on each side. */
  histogram: { labels: string[]; reference: number[]; current: number[] };
}

/** Per-run details carried beside the report (proposed `Report.drift`). */
export interface DriftDetails {
  columns: ColumnDriftResult[];
  threshold: number;
  correction: Correction;
  alpha: number;
  datasetDrift: boolean;
  multivariate?: { method: 'pca-reconstruction'; error: number; lower: number; upper: number; drifted: boolean; components: number; columns: string[] };
  prediction?: {
    column: string;
    highConfidenceShare: { reference: number; current: number };
    threshold: number;
    zStatistic: number;
    pValue: number;
    anomalous: boolean;
  };
}
