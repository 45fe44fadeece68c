/**
 * Drift statistics other than KS: chi-square test of homogeneity, two-proportion z-test,
 * Wasserstein-1 distance (exact from samples and from fine bins), Jensen-Shannon distance,
 * population stability index. Each states its reference and what SciPy/Evidently call it.
 */
import { chiSquareSf, normalSf } from './special.js';

/** A test result: statistic and (when the test has one) a p-value. */
export interface TestResult {
  statistic: number;
  pValue?: number;
  df?: number;
}

/**
 * Pearson chi-square test of homogeneity on a 2 × k table (reference counts vs current counts),
 * no continuity correction: `scipy.stats.chi2_contingency([ref, cur], correction=False)`.
 * Categories whose total is zero are dropped (they carry no information; SciPy would reject them).
 */
export function chiSquareHomogeneity(ref: readonly number[], cur: readonly number[]): TestResult {
  const k = ref.length;
  let nr = 0;
  let nc = 0;
  for (let i = 0; i < k; i++) {
    nr += ref[i]!;
    nc += cur[i]!;
  }
  const n = nr + nc;
  let stat = 0;
  let used = 0;
  for (let i = 0; i < k; i++) {
    const col = ref[i]! + cur[i]!;
    if (col === 0) continue;
    used++;
    const er = (nr * col) / n;
    const ec = (nc * col) / n;
    stat += (ref[i]! - er) ** 2 / er + (cur[i]! - ec) ** 2 / ec;
  }
  const df = used - 1;
  if (df <= 0 || nr === 0 || nc === 0) return { statistic: 0, pValue: 1, df: Math.max(df, 0) };
  return { statistic: stat, pValue: chiSquareSf(stat, df), df };
}

/**
 * Two-sided two-proportion z-test with the pooled proportion (Evidently's `z_stat_test`):
 * z = (p₁ − p₂)/√(p̂(1−p̂)(1/n₁ + 1/n₂)), p = 2·Φ̄(|z|).
 */
export function twoProportionZ(successRef: number, nRef: number, successCur: number, nCur: number): TestResult {
  if (nRef === 0 || nCur === 0) return { statistic: 0, pValue: 1 };
  const p1 = successRef / nRef;
  const p2 = successCur / nCur;
  const pooled = (successRef + successCur) / (nRef + nCur);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nRef + 1 / nCur));
  if (se === 0) return { statistic: 0, pValue: p1 === p2 ? 1 : 0 };
  const z = (p1 - p2) / se;
  return { statistic: z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))) };
}

/**
 * Exact Wasserstein-1 distance of two sorted samples: ∫|F₁ − F₂| (`scipy.stats.wasserstein_distance`,
 * Ramdas, García Trillos & Cuturi 2017, eq. for the 1-D case).
 */
export function wassersteinSorted(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return Number.NaN;
  let i = 0;
  let j = 0;
  let prev = Math.min(a[0]!, b[0]!);
  let w = 0;
  while (i < n || j < m) {
    const v = j >= m || (i < n && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    w += Math.abs(i / n - j / m) * (v - prev);
    prev = v;
    while (i < n && a[i] === v) i++;
    while (j < m && b[j] === v) j++;
  }
  return w;
}

/** A histogram on shared edges with the out-of-range mass kept exactly (for Wasserstein tails). */
export interface BinnedSample {
  /** counts[k] for [edges[k], edges[k+1]); the last bin is closed. Length edges.length − 1. */
  counts: ArrayLike<number>;
  /** Values below edges[0]: count and Σ(edges[0] − x). */
  under: { count: number; sumDistance: number };
  /** Values above the last edge: count and Σ(x − edges[last]). */
  over: { count: number; sumDistance: number };
  total: number;
}

/**
 * Wasserstein-1 from fine bins: inside each bin both CDFs are taken as linear (values uniform in the
 * bin) and ∫|F₁ − F₂| is integrated exactly, including a sign change inside the bin; outside the
 * edges the integral is exact from the kept distance sums (∫ P(X > x) dx = E[(X − e)⁺]).
 */
export function wassersteinBinned(edges: ArrayLike<number>, a: BinnedSample, b: BinnedSample): number {
  if (a.total === 0 || b.total === 0) return Number.NaN;
  // Below the first edge: ∫ |F_a − F_b| with both piecewise unknown; the exact tail integrals are
  // E[(e − X)⁺] per side; their absolute difference is a lower bound and exact when one side has no
  // mass there (the usual case: the reference defines the edges).
  let w = Math.abs(a.under.sumDistance / a.total - b.under.sumDistance / b.total);
  let fa = a.under.count / a.total;
  let fb = b.under.count / b.total;
  for (let k = 0; k + 1 < edges.length; k++) {
    const width = edges[k + 1]! - edges[k]!;
    const ga = fa + a.counts[k]! / a.total;
    const gb = fb + b.counts[k]! / b.total;
    const d0 = fa - fb;
    const d1 = ga - gb;
    if (d0 * d1 >= 0) w += (width * (Math.abs(d0) + Math.abs(d1))) / 2;
    else w += (width * (d0 * d0 + d1 * d1)) / (2 * (Math.abs(d0) + Math.abs(d1)));
    fa = ga;
    fb = gb;
  }
  w += Math.abs(a.over.sumDistance / a.total - b.over.sumDistance / b.total);
  return w;
}

/**
 * Jensen-Shannon DISTANCE (square root of the divergence) of two count vectors, natural log:
 * `scipy.spatial.distance.jensenshannon(p, q)` with its default base e, which Evidently's
 * `jensenshannon` test calls without a base. Range [0, √ln 2 ≈ 0.8326].
 */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  if (sp === 0 || sq === 0) return Number.NaN;
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    if (a > 0) js += a * Math.log(a / m);
    if (b > 0) js += b * Math.log(b / m);
  }
  return Math.sqrt(Math.max(0, js / 2));
}

/** Floor for an empty bin's share in {@link populationStabilityIndex} (Evidently's PSI uses 0.0001). */
export const PSI_EPSILON = 1e-4;

/** Population stability index Σ (c − r)·ln(c/r) on bin shares, empty shares floored at {@link PSI_EPSILON}. */
export function populationStabilityIndex(ref: readonly number[], cur: readonly number[]): number {
  let sr = 0;
  let sc = 0;
  for (let i = 0; i < ref.length; i++) {
    sr += ref[i]!;
    sc += cur[i]!;
  }
  if (sr === 0 || sc === 0) return Number.NaN;
  let psi = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = Math.max(ref[i]! / sr, PSI_EPSILON);
    const c = Math.max(cur[i]! / sc, PSI_EPSILON);
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/**
 * Benjamini-Hochberg step-up adjusted p-values (Benjamini & Hochberg 1995; R's
 * `p.adjust(p, "BH")`): p̃₍ᵢ₎ = min over j ≥ i of p₍ⱼ₎·m/j, in the order of `pValues`. Tied p-values
 * get the same adjusted value whatever their order.
 */
export function benjaminiHochbergAdjusted(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p || x.i - y.i);
  const out = new Array<number>(m);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const o = order[rank]!;
    running = Math.min(running, (o.p * m) / (rank + 1));
    out[o.i] = running;
  }
  return out;
}
