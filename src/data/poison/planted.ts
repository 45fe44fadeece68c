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
  const { rows, features = 8, classes = 3, flipRate = 0.02, duplicateRate = 0.005, seed = 42 } = options;
  const rand = seededRandom(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: classes }, (_, c) => Array.from({ length: features }, (_, j) => (j === c % features ? 10 * (1 + Math.floor(c / features)) : 0)));
  const dupes = Math.round(rows * duplicateRate);
  const total = rows + dupes;
  const numeric = Array.from({ length: features }, (_, j) => ({ name: `f${j}`, values: new Float64Array(total) }));
  const colour: (string | null)[] = [];
  const labels: string[] = [];
  for (let i = 0; i < rows; i++) {
    const c = Math.floor(rand() * classes);
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
