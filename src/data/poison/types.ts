/** Rows handed to the poisoning detectors by the dataset engine (issue 5 part 1 reads them in its scan). */
export interface PoisonInput {
  /** Row id per row (the dataset's 0-based row number), reported in suspicions. */
  rowIds: number[];
  /** The label of each row, as text. */
  labels: string[];
  /** Numeric features; NaN is a missing value. */
  numeric: { name: string; values: Float64Array }[];
  /** Categorical features; null is missing. */
  categorical: { name: string; values: (string | null)[] }[];
  /** Free-text features (tokens feed the backdoor-trigger signal; the whole value feeds duplicates). */
  text: { name: string; values: (string | null)[] }[];
  /** A source or batch column for the label-shift signal. */
  source?: { name: string; values: (string | null)[] };
}

/** One ranked suspicion. Suspicions are leads for review, never deletions. */
export interface PoisonSuspicion {
  ruleId: string;
  /** `conflicting-duplicates`, `knn-disagreement`, `robust-z-outlier`, `isolation-forest-outlier`, `label-shift`, `trigger-token`. */
  kind: string;
  /** Strength in [0, 1]; suspicions are sorted by it, strongest first. */
  score: number;
  /** The rows the suspicion is about (capped at {@link PoisonOptions.maxRowIdsPerSuspicion}). */
  rowIds: number[];
  message: string;
  evidence: Record<string, string | number | boolean>;
}

/** Options of detectPoisoning (every field has a DEFAULT_POISON_OPTIONS value). */
export interface PoisonOptions {
  /** PRNG seed for sampling and the isolation forest. */
  seed?: number;
  /** Neighbours per row for kNN label disagreement. */
  k?: number;
  /** Fraction of the k neighbours with another label at which a row is suspicious. */
  knnDisagreement?: number;
  /**
   * kNN: Bonferroni-corrected binomial lower-tail p-value of the own-label neighbour count (at the
   * label's confident-learning threshold) below which a disagreeing row is reported.
   */
  knnPValue?: number;
  /** Reference rows per class for exact kNN; larger classes are sampled (seeded) down to this. */
  knnMaxPerClass?: number;
  /** Robust z-score (Iglewicz-Hoaglin modified z) above which a value is an outlier in its class. */
  robustZ?: number;
  /** Isolation-forest anomaly score above which a row is an outlier in its class (0.5 is "no structure"). */
  isolationThreshold?: number;
  /** Trees and subsample size of the isolation forest (the paper's defaults: 100 and 256). */
  isolationTrees?: number;
  isolationSample?: number;
  /** Minimum rows of a source for the label-shift test. */
  shiftMinRows?: number;
  /** Jensen-Shannon distance (base 2, in [0, 1]) from the other sources' label mix that counts as shift. */
  shiftJsDistance?: number;
  /** Chi-square p-value below which a source's label mix differs significantly. */
  shiftPValue?: number;
  /** Trigger tokens: minimum rows containing the token. */
  triggerMinSupport?: number;
  /** Trigger tokens: at most this fraction of rows contain the token (a trigger is rare). */
  triggerMaxSupportFraction?: number;
  /** Trigger tokens: at least this share of the token's rows carry the label. */
  triggerMinLabelShare?: number;
  /** Trigger tokens: the label's base rate is at most this. */
  triggerMaxBaseRate?: number;
  /** Trigger tokens: Bonferroni-corrected binomial tail p-value below which the association counts. */
  triggerPValue?: number;
  /** Rows named by one aggregated outlier suspicion (BW-PSN-003 per class and column, BW-PSN-004 per class), strongest first. */
  outlierTopRows?: number;
  /** Suspicions kept per rule (strongest first); the metrics count all. */
  maxSuspicionsPerRule?: number;
  /** Row ids listed per suspicion. */
  maxRowIdsPerSuspicion?: number;
}

/** Result of detectPoisoning. */
export interface PoisonResult {
  suspicions: PoisonSuspicion[];
  /** Flat snake_case counts (documented in docs/data-detectors.md). */
  metrics: Record<string, number>;
}
