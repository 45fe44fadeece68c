/**
 * Multivariate drift by PCA reconstruction error, as NannyML's "data reconstruction with PCA"
 * (docs.nannyml.com, "Multivariate drift detection"): standardise on the reference, keep the
 * principal components that explain {@link DEFAULT_PCA_VARIANCE} of the variance, and measure the
 * mean Euclidean distance between rows and their reconstruction. Reference chunks give the expected
 * error; a current error outside mean ± 3 std is drift. The eigen-decomposition is cyclic Jacobi
 * (Golub & Van Loan, Matrix Computations 4th ed., §8.5), exact enough for ≤ 100 columns.
 */
import type { RawDataset } from './read.js';
import type { PcaModel } from './types.js';

/** Share of variance the kept components explain (NannyML's default). */
export const DEFAULT_PCA_VARIANCE = 0.65;
/** At most this many columns enter the PCA (Jacobi is O(p³) per sweep). */
export const PCA_MAX_COLUMNS = 100;
/** Bounds are mean ± this many standard deviations of the chunk error. */
export const PCA_SIGMAS = 3;

/** Eigenvalues (descending) and eigenvectors (rows) of a symmetric matrix, by cyclic Jacobi. */
export function symmetricEigen(matrix: readonly number[][]): { values: number[]; vectors: number[][] } {
  const p = matrix.length;
  const a = matrix.map((r) => [...r]);
  const v = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j): number => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) off += a[i]![j]! ** 2;
    if (off < 1e-22) break;
    for (let i = 0; i < p; i++) {
      for (let j = i + 1; j < p; j++) {
        const aij = a[i]![j]!;
        if (Math.abs(aij) < 1e-300) continue;
        const theta = (a[j]![j]! - a[i]![i]!) / (2 * aij);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < p; k++) {
          const aki = a[k]![i]!;
          const akj = a[k]![j]!;
          a[k]![i] = c * aki - s * akj;
          a[k]![j] = s * aki + c * akj;
        }
        for (let k = 0; k < p; k++) {
          const aik = a[i]![k]!;
          const ajk = a[j]![k]!;
          a[i]![k] = c * aik - s * ajk;
          a[j]![k] = s * aik + c * ajk;
        }
        for (let k = 0; k < p; k++) {
          const vki = v[k]![i]!;
          const vkj = v[k]![j]!;
          v[k]![i] = c * vki - s * vkj;
          v[k]![j] = s * vki + c * vkj;
        }
      }
    }
  }
  const order = Array.from({ length: p }, (_, i) => i).sort((x, y) => a[y]![y]! - a[x]![x]! || x - y);
  return { values: order.map((i) => a[i]![i]!), vectors: order.map((i) => v.map((row) => row[i]!)) };
}

/**
 * Reconstruction error of one standardised row: the kept axes are orthonormal, so
 * ‖z − CᵀCz‖² = ‖z‖² − Σ (c·z)² (no reconstruction vector to allocate per row).
 */
function rowError(z: Float64Array, components: readonly number[][]): number {
  const p = z.length;
  let norm = 0;
  for (let j = 0; j < p; j++) norm += z[j]! * z[j]!;
  let kept = 0;
  for (const c of components) {
    let dot = 0;
    for (let j = 0; j < p; j++) dot += c[j]! * z[j]!;
    kept += dot * dot;
  }
  return Math.sqrt(Math.max(0, norm - kept));
}

/** Options of {@link fitPca}. */
export interface FitPcaOptions {
  dataset: RawDataset;
  /** Row indices to fit on (the profile sample). */
  sample: Uint32Array;
  variance?: number;
}

/** Fits the PCA model on the sampled rows of the continuous columns; undefined with fewer than 2. */
export function fitPca(options: FitPcaOptions): PcaModel | undefined {
  const cols = options.dataset.columns.filter((c) => c.kind === 'continuous' && c.values).slice(0, PCA_MAX_COLUMNS);
  if (cols.length < 2) return undefined;
  const p = cols.length;
  const means: number[] = [];
  const stds: number[] = [];
  for (const c of cols) {
    const v = c.values!;
    let n = 0;
    let s = 0;
    for (let i = 0; i < v.length; i++) {
      if (Number.isNaN(v[i]!)) continue;
      s += v[i]!;
      n++;
    }
    const mean = n > 0 ? s / n : 0;
    let ss = 0;
    for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i]!)) ss += (v[i]! - mean) ** 2;
    means.push(mean);
    stds.push(n > 0 && ss > 0 ? Math.sqrt(ss / n) : 1);
  }
  const rows: Float64Array[] = [];
  for (const i of options.sample) {
    const z = new Float64Array(p);
    let ok = true;
    for (let j = 0; j < p; j++) {
      const x = cols[j]!.values![i]!;
      if (Number.isNaN(x)) ok = false;
      z[j] = (x - means[j]!) / stds[j]!;
    }
    if (ok) rows.push(z);
  }
  if (rows.length < 20) return undefined;
  const cov = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (const z of rows) for (let a = 0; a < p; a++) for (let b = a; b < p; b++) cov[a]![b] = cov[a]![b]! + z[a]! * z[b]!;
  for (let a = 0; a < p; a++) for (let b = a; b < p; b++) cov[b]![a] = cov[a]![b] = cov[a]![b]! / rows.length;
  const { values, vectors } = symmetricEigen(cov);
  const total = values.reduce((s, x) => s + Math.max(0, x), 0);
  const want = options.variance ?? DEFAULT_PCA_VARIANCE;
  let kept = 0;
  let acc = 0;
  while (kept < p && (acc < want * total || kept === 0)) acc += Math.max(0, values[kept++]!);
  const components = vectors.slice(0, kept);
  const chunkSize = Math.max(20, Math.floor(rows.length / 10));
  const chunkMeans: number[] = [];
  for (let start = 0; start + chunkSize <= rows.length; start += chunkSize) {
    let s = 0;
    for (let r = start; r < start + chunkSize; r++) s += rowError(rows[r]!, components);
    chunkMeans.push(s / chunkSize);
  }
  const mean = chunkMeans.reduce((s, x) => s + x, 0) / chunkMeans.length;
  const sd = Math.sqrt(chunkMeans.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, chunkMeans.length - 1));
  return { columns: cols.map((c) => c.name), means, stds, components, explainedVariance: total > 0 ? acc / total : 0, chunkSize, errorMean: mean, errorStd: sd };
}

/** Result of {@link pcaDrift}. */
export interface PcaDriftResult {
  error: number;
  lower: number;
  upper: number;
  drifted: boolean;
  rows: number;
}

/**
 * Mean reconstruction error of the current rows and the reference bounds for a chunk of that many
 * rows: the reference chunk std is scaled by √(chunkSize/n) (the error of a mean of n rows).
 */
export function pcaDrift(model: PcaModel, current: RawDataset): PcaDriftResult | undefined {
  const byName = new Map(current.columns.map((c) => [c.name, c]));
  const cols = model.columns.map((n) => byName.get(n)?.values);
  if (cols.some((c) => c === undefined)) return undefined;
  const p = cols.length;
  const z = new Float64Array(p);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < current.rows; i++) {
    let ok = true;
    for (let j = 0; j < p; j++) {
      const x = cols[j]![i]!;
      if (Number.isNaN(x)) {
        ok = false;
        break;
      }
      z[j] = (x - model.means[j]!) / model.stds[j]!;
    }
    if (!ok) continue;
    sum += rowError(z, model.components);
    n++;
  }
  if (n === 0) return undefined;
  const sd = model.errorStd * Math.sqrt(model.chunkSize / n);
  const error = sum / n;
  const lower = model.errorMean - PCA_SIGMAS * sd;
  const upper = model.errorMean + PCA_SIGMAS * sd;
  return { error, lower, upper, drifted: error < lower || error > upper, rows: n };
}
