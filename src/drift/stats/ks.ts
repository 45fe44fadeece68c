/**
 * Two-sample Kolmogorov-Smirnov test, two-sided, matching `scipy.stats.ks_2samp(method='auto')`
 * (SciPy 1.10, `_stats_py.py`): exact when both samples have at most 10,000 values, otherwise the
 * one-sample Kolmogorov distribution `kstwo.sf(d, round(n·m/(n+m)))`.
 *
 * Exact: the statistic is rounded to h/lcm(n, m) as SciPy does, and p = P(D ≥ d) is the share of
 * monotone lattice paths from (0,0) to (n,m) that touch |i/n − j/m| ≥ d (Hodges 1957, "The
 * significance probability of the Smirnov two-sample test", Ark. Mat. 3; the boundary-crossing
 * recursion of Nikiforov 1994, Comput. Stat. Data Anal. 17). We propagate path probabilities (a
 * uniform random path steps right with probability (n−i)/((n−i)+(m−j))) and sum the mass absorbed at
 * the boundary, so small p-values keep their relative precision.
 *
 * Asymptotic: Simard & L'Ecuyer (2011), "Computing the two-sided Kolmogorov-Smirnov distribution",
 * J. Stat. Softw. 39(11), as SciPy's `_kolmogn`: Ruben-Gambino closed forms at the ends, 2·Smirnov
 * (Birnbaum & Tingey 1951) for n·x² ≥ 2.2, and below that the Durbin matrix, the Pomeranz recursion
 * (n ≤ 140) or Pelz-Good (1976), with SciPy's cut-offs.
 */
import { logBinomial, logGamma } from './special.js';

/** Samples up to this size (both sides) get the exact p-value, as SciPy's `MAX_AUTO_N`. */
export const KS_MAX_EXACT_N = 10_000;

/** Result of {@link ksTwoSample}. */
export interface KsResult {
  statistic: number;
  pValue: number;
  /** How the p-value was computed. */
  mode: 'exact' | 'asymp';
}

/** Below this many values the engine's sort is as fast as the radix sort. */
const RADIX_MIN = 4096;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * LSD radix sort of NaN-free doubles on their IEEE-754 bits (4 passes of 16 bits over the 64-bit key
 * made order-preserving: sign bit flipped for positives, all bits flipped for negatives). O(n), and
 * several times faster than TypedArray#sort on the million-value columns drift reads.
 */
export function radixSortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < RADIX_MIN || !LITTLE_ENDIAN) return Float64Array.from(values).sort();
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  let hi = new Uint32Array(n);
  let lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + 1]!;
    const l = words[2 * i]!;
    if (h & 0x80000000) {
      hi[i] = ~h >>> 0;
      lo[i] = ~l >>> 0;
    } else {
      hi[i] = (h | 0x80000000) >>> 0;
      lo[i] = l;
    }
  }
  let hi2 = new Uint32Array(n);
  let lo2 = new Uint32Array(n);
  const count = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const useHi = pass >= 2;
    const shift = (pass & 1) * 16;
    count.fill(0);
    const key = useHi ? hi : lo;
    for (let i = 0; i < n; i++) count[(key[i]! >>> shift) & 0xffff]!++;
    if (count[(key[0]! >>> shift) & 0xffff] === n) continue; // every key has this digit: nothing to move
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const pos = count[(key[i]! >>> shift) & 0xffff]!++;
      hi2[pos] = hi[i]!;
      lo2[pos] = lo[i]!;
    }
    [hi, hi2] = [hi2, hi];
    [lo, lo2] = [lo2, lo];
  }
  const out = new Float64Array(n);
  const ow = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const h = hi[i]!;
    if (h & 0x80000000) {
      ow[2 * i + 1] = h & 0x7fffffff;
      ow[2 * i] = lo[i]!;
    } else {
      ow[2 * i + 1] = ~h >>> 0;
      ow[2 * i] = ~lo[i]! >>> 0;
    }
  }
  return out;
}

/** Sorts a copy and drops NaNs. */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  let n = 0;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) out[n++] = v;
  }
  return radixSortFloat64(out.subarray(0, n));
}

/** sup |F1 − F2| of two sorted samples (ties advance both ECDFs together, as SciPy's searchsorted 'right'). */
export function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = Math.min(a[i]!, b[j]!);
    while (i < n && a[i] === v) i++;
    while (j < m && b[j] === v) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  return d;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Exact P(D ≥ h/lcm) for sizes n, m (no ties), by absorbed path mass. */
export function ksExactSf(n: number, m: number, h: number): number {
  if (h <= 0) return 1;
  const g = gcd(n, m);
  const bound = h * g; // |i·m − j·n| ≥ h·g  ⇔  |i/n − j/m| ≥ h/lcm
  let out = 0;
  const row = new Float64Array(m + 1);
  row[0] = 1;
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= m; j++) {
      let mass: number;
      if (i === 0 && j === 0) mass = 1;
      else {
        // From (i−1, j) stepping right, and from (i, j−1) stepping up.
        const fromLeft = i > 0 ? row[j]! * ((n - i + 1) / (n - i + 1 + m - j)) : 0;
        const fromBelow = j > 0 ? row[j - 1]! * ((m - j + 1) / (n - i + m - j + 1)) : 0;
        mass = fromLeft + fromBelow;
      }
      if (Math.abs(i * m - j * n) >= bound) {
        out += mass;
        mass = 0;
      }
      row[j] = mass;
    }
  }
  return Math.min(1, Math.max(0, out));
}

/** One-sided Smirnov survival P(D⁺ₙ ≥ x), Birnbaum & Tingey (1951), summed in log space. */
export function smirnovSf(n: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  const last = Math.floor(n * (1 - x) + 1e-12);
  let sum = 0;
  // log C(n, j) by the recurrence C(n, j+1) = C(n, j)·(n−j)/(j+1), re-anchored on log-gamma every
  // 1024 terms so rounding cannot accumulate.
  let logC = 0;
  for (let j = 0; j <= last; j++) {
    if (j % 1024 === 0) logC = logBinomial(n, j);
    const base = 1 - x - j / n;
    if (base > 0) sum += Math.exp(logC + (n - j) * Math.log(base) + (j - 1) * Math.log(x + j / n));
    logC += Math.log((n - j) / (j + 1));
  }
  return Math.min(1, Math.max(0, x * sum));
}

const SQRT2PI = Math.sqrt(2 * Math.PI);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;

/** Pelz-Good (1976) approximation to P(Dₙ ≤ x), ported term for term from SciPy `_kolmogn_PelzGood`. */
export function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = q ** (8 * k);
    const c = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qp + c[i]!;
  }
  const div = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT2PI) / div[i]!;
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qp = q ** k2;
    k2extra += k2 * qp;
    const kspi = Math.PI * k;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * k2 * qp;
  }
  K[2] = K[2]! + (k2extra * PI2 * SQRT2PI) / (-36 * z ** 3);
  K[3] = K[3]! + (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i]! / n ** (i / 2);
  return sum;
}

/** NumPy's `np.round`: ties go to the even integer (n·m/(n+m) is often x.5). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const clip = (p: number): number => Math.min(1, Math.max(0, p));

const E128 = 2 ** 128;
const EM128 = 2 ** -128;

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] = out[i * m + j]! + aik * b[k * m + j]!;
    }
  }
  return out;
}

/**
 * P(Dₙ ≤ d) by the Durbin matrix (Durbin 1968; Marsaglia, Tsang & Wang 2003, J. Stat. Softw. 8(18)),
 * ported from SciPy's `_kolmogn_DMTW` with the same power-of-two rescaling.
 */
export function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  let H: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1]!;
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;
  let P: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let nn = n;
  let expnt = 0;
  let hExpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      P = matmul(P, H, m);
      expnt += hExpnt;
    }
    H = matmul(H, H, m);
    hExpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > E128) {
      for (let i = 0; i < H.length; i++) H[i] = H[i]! / E128;
      hExpnt += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = P[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      expnt -= 128;
    }
  }
  return clip(p * 2 ** expnt);
}

function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** P(Dₙ ≤ x) by the Pomeranz (1974) recursion, ported from SciPy's `_kolmogn_Pomeranz`. */
export function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1;
  let expnt = 0;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1]! * (g / n)) / m;
    twogpower[m] = (twogpower[m - 1]! * ((2 * g) / n)) / m;
    onem2gpower[m] = (onem2gpower[m - 1]! * ((1 - 2 * g) / n)) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let j1 = pomeranzJ1J2(0, n, ll, ceilf, roundf)[0];
  let j2: number;
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // conv = convolve(V0[k1 − V0s : + ln2], pwrs[:ln2]); keep conv[j1 − k1 : + (j2 − j1 + 1)].
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let max = 0;
      for (let out = 0; out < convLen; out++) {
        const idx = convStart + out;
        let acc = 0;
        for (let a = Math.max(0, idx - ln2 + 1); a <= Math.min(idx, ln2 - 1); a++) acc += V0[k1 - V0s + a]! * pwrs[idx - a]!;
        V1[out] = acc;
        if (acc > max) max = acc;
      }
      if (max > 0 && max < EM128) {
        for (let q = 0; q < V1.length; q++) V1[q] = V1[q]! * E128;
        expnt -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128;
      expnt += 128;
    }
    ans *= m;
  }
  return clip(ans * 2 ** expnt);
}

/** Survival function of the two-sided one-sample Kolmogorov statistic Dₙ (SciPy `kstwo.sf`, `_kolmogn`). */
export function kolmogorovSf(n: number, x: number): number {
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    // Ruben-Gambino: P(Dn ≤ x) = n!/nⁿ (2t − 1)ⁿ for 1/2n ≤ x ≤ 1/n.
    const logNfact = logGamma(n + 1) - n * Math.log(n);
    return clip(1 - Math.exp(logNfact + n * Math.log(2 * t - 1)));
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSf(n, x));
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 0.754693) return clip(1 - durbinMatrixCdf(n, x));
    if (nx2 <= 4) return clip(1 - pomeranzCdf(n, x));
    return clip(2 * smirnovSf(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip(2 * smirnovSf(n, x));
  if (n <= 100_000 && n * x ** 1.5 <= 1.4) return clip(1 - durbinMatrixCdf(n, x));
  return clip(1 - pelzGoodCdf(n, x));
}

/**
 * Two-sided two-sample KS test on two SORTED, NaN-free samples (see {@link sortedFinite}).
 * `mode` 'auto' is SciPy's: exact when max(n, m) ≤ {@link KS_MAX_EXACT_N}.
 */
export function ksTwoSample(a: Float64Array, b: Float64Array, mode: 'auto' | 'exact' | 'asymp' = 'auto'): KsResult {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { statistic: Number.NaN, pValue: Number.NaN, mode: 'asymp' };
  let d = ksStatisticSorted(a, b);
  const chosen = mode === 'auto' ? (Math.max(n, m) <= KS_MAX_EXACT_N ? 'exact' : 'asymp') : mode;
  if (chosen === 'exact') {
    const g = gcd(n, m);
    const lcm = (n / g) * m;
    const h = Math.round(d * lcm);
    d = h / lcm;
    return { statistic: d, pValue: ksExactSf(n, m, h), mode: 'exact' };
  }
  const [big, small] = n >= m ? [n, m] : [m, n];
  const en = (big * small) / (big + small);
  return { statistic: d, pValue: kolmogorovSf(roundHalfEven(en), d), mode: 'asymp' };
}
