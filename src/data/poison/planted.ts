/**
 * A generated, separable labelled dataset with planted poison (flipped labels and conflicting
 * duplicates), for the planted-poison test and benchmark (bench/poison.mjs).
 */
import { seededRandom } from './stats.js';
import type { PoisonInput } from './types.js';

/** Options of {@link makePlantedPoisonDataset}. */
export interface PlantedPoisonOptions {
  /** Clean rows before duplicates are appended. */
  rows: number;
  /** Numeric features. */
  features?: number;
  classes?: number;
  /** Relative class frequencies (default: uniform); e.g. [0.95, 0.05] for an imbalanced binary label. */
  classWeights?: readonly number[];
  /** Fraction of rows whose label is flipped to another class. */
  flipRate?: number;
  /** Fraction of rows appended as an exact copy of a clean row with another label. */
  duplicateRate?: number;
  seed?: number;
}

/** The dataset and the row ids that were poisoned. */
export interface PlantedPoisonDataset {
  input: PoisonInput;
  planted: Set<number>;
}

/**
 * Gaussian blobs (unit variance) whose centres are 10 apart on a random axis per class, so the
 * clean data is separable; then `flipRate` labels are flipped and `duplicateRate` conflicting
 * copies appended. A categorical column carries noise unrelated to the label.
 */
export function makePlantedPoisonDataset(options: PlantedPoisonOptions): PlantedPoisonDataset {
  const { rows, features = 8, classes = 3, flipRate = 0.02, duplicateRate = 0.005, seed = 42, classWeights } = options;
  const weights = Array.from({ length: classes }, (_, c) => Math.max(0, classWeights?.[c] ?? (classWeights ? 0 : 1)));
  const totalWeight = weights.reduce((a, b) => a + b, 0) || 1;
  const pick = (u: number): number => {
    let acc = 0;
    for (let c = 0; c < classes; c++) if (u * totalWeight < (acc += weights[c] ?? 0)) return c;
    return classes - 1;
  };
  const rand = seededRandom(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: classes }, (_, c) => Array.from({ length: features }, (_, j) => (j === c % features ? 10 * (1 + Math.floor(c / features)) : 0)));
  const dupes = Math.round(rows * duplicateRate);
  const total = rows + dupes;
  const numeric = Array.from({ length: features }, (_, j) => ({ name: `f${j}`, values: new Float64Array(total) }));
  const colour: (string | null)[] = [];
  const labels: string[] = [];
  for (let i = 0; i < rows; i++) {
    const c = pick(rand());
    for (let j = 0; j < features; j++) {
      const col = numeric[j];
      if (col) col.values[i] = Math.round(((centres[c]?.[j] ?? 0) + gauss()) * 1e4) / 1e4;
    }
    colour.push(['red', 'green', 'blue'][Math.floor(rand() * 3)] ?? 'red');
    labels.push(`class_${c}`);
  }
  const planted = new Set<number>();
  const other = (label: string): string => {
    const c = Number(label.slice(6));
    return `class_${(c + 1 + Math.floor(rand() * (classes - 1))) % classes}`;
  };
  for (let i = 0; i < rows; i++) {
    if (rand() < flipRate) {
      labels[i] = other(labels[i] ?? 'class_0');
      planted.add(i);
    }
  }
  for (let d = 0; d < dupes; d++) {
    let src = Math.floor(rand() * rows);
    while (planted.has(src)) src = Math.floor(rand() * rows);
    const i = rows + d;
    for (const col of numeric) col.values[i] = col.values[src] ?? 0;
    colour.push(colour[src] ?? null);
    labels.push(other(labels[src] ?? 'class_0'));
    planted.add(i);
  }
  return {
    input: { rowIds: Array.from({ length: total }, (_, i) => i), labels, numeric, categorical: [{ name: 'colour', values: colour }], text: [] },
    planted,
  };
}

/** Options of {@link makeCleanImbalancedDataset}. */
export interface CleanImbalancedOptions {
  rows: number;
  /** Share of the rare (positive) label. */
  positiveRate?: number;
  seed?: number;
}

/**
 * A CLEAN labelled dataset shaped like card-fraud data, for the "quiet on clean data" test and the
 * benchmark: an imbalanced binary label (`positiveRate`, default 2%), heavy-tailed non-negative
 * features (log-normal amount, Pareto-like account age, Poisson-like counts), a bounded hour, a
 * categorical merchant column, and positives that overlap the negatives (a shifted mean, not a
 * separate cluster), so a rare positive among negative neighbours is normal, not poison.
 */
export function makeCleanImbalancedDataset(options: CleanImbalancedOptions): PoisonInput {
  const { rows, positiveRate = 0.02, seed = 11 } = options;
  const rand = seededRandom(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const poisson = (mean: number): number => {
    // Knuth's multiplication method (small means only).
    const limit = Math.exp(-mean);
    let k = 0;
    let p = rand();
    while (p > limit) {
      k++;
      p *= rand();
    }
    return k;
  };
  const names = ['amount', 'account_age_days', 'transactions_last_24h', 'hour', 'customer_age'] as const;
  const numeric = names.map((name) => ({ name, values: new Float64Array(rows) }));
  const col = (j: number): Float64Array => numeric[j]?.values ?? new Float64Array(rows);
  const merchant: (string | null)[] = [];
  const labels: string[] = [];
  for (let i = 0; i < rows; i++) {
    const positive = rand() < positiveRate;
    labels.push(positive ? '1' : '0');
    col(0)[i] = Math.round(Math.exp(3.5 + (positive ? 0.8 : 0) + 1.1 * gauss()) * 100) / 100;
    col(1)[i] = Math.floor(30 * (Math.pow(1 - rand(), -1 / 1.5) - 1) * (positive ? 0.5 : 1));
    col(2)[i] = poisson(positive ? 5 : 3);
    col(3)[i] = Math.floor(rand() * 24);
    col(4)[i] = Math.max(18, Math.min(95, Math.round(42 + 14 * gauss())));
    merchant.push(['grocery', 'electronics', 'travel', 'online_retail', 'fuel'][Math.floor(rand() * (positive ? 3 : 5)) + (positive ? 1 : 0)] ?? 'grocery');
  }
  return { rowIds: Array.from({ length: rows }, (_, i) => i), labels, numeric, categorical: [{ name: 'merchant_category', values: merchant }], text: [] };
}
