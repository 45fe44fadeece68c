/** Small numeric helpers for the poisoning signals (no dependencies; deterministic). */
import { jensenShannon } from '../../drift/stats/distances.js';
import { logBinomial } from '../../drift/stats/special.js';

// The special functions are the drift module's (checked against SciPy); re-exported for the signals.
export { chiSquareSf, gammaQ, logGamma } from '../../drift/stats/special.js';
export { seededRandom } from '../../stats/random.js';

/** `count` distinct indices of [0, n) chosen uniformly (partial Fisher-Yates), sorted. */
export function sampleIndices(n: number, count: number, rand: () => number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rand() * (n - i));
    const t = idx[i] ?? 0;
    idx[i] = idx[j] ?? 0;
    idx[j] = t;
  }
  return idx.slice(0, count).sort((x, y) => x - y);
}

/** Median of the finite values (NaN when none). */
export function median(values: ArrayLike<number>): number {
  const v = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? (v[m] ?? Number.NaN) : ((v[m - 1] ?? 0) + (v[m] ?? 0)) / 2;
}

/** Median absolute deviation about `med`. */
export function mad(values: ArrayLike<number>, med: number): number {
  return median(Array.from(values, (x) => Math.abs(x - med)));
}

/** P(X >= k) for X ~ Binomial(n, p), summed in log space. */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let total = 0;
  for (let i = k; i <= n; i++) total += Math.exp(logBinomial(n, i) + i * Math.log(p) + (n - i) * Math.log(1 - p));
  return Math.min(1, total);
}

/** P(X <= k) for X ~ Binomial(n, p), summed in log space. */
export function binomialLowerTail(k: number, n: number, p: number): number {
  if (k >= n) return 1;
  if (k < 0) return 0;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  let total = 0;
  for (let i = 0; i <= k; i++) total += Math.exp(logBinomial(n, i) + i * Math.log(p) + (n - i) * Math.log(1 - p));
  return Math.min(1, total);
}

/**
 * Jensen-Shannon distance in base 2 (square root of the divergence in bits, in [0, 1]) of two count
 * vectors: drift's natural-log {@link jensenShannon} scaled by 1/√ln 2.
 */
export function jsDistance(p: readonly number[], q: readonly number[]): number {
  return jensenShannon(p, q) / Math.sqrt(Math.LN2);
}
