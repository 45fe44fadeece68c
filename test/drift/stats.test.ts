import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  benjaminiHochbergAdjusted,
  chiSquareHomogeneity,
  chiSquareSf,
  jensenShannon,
  kolmogorovSf,
  ksTwoSample,
  normalSf,
  radixSortFloat64,
  sortedFinite,
  wassersteinSorted,
} from '../../src/drift/stats/index.js';
import { fixture } from '../helpers.js';

interface Golden {
  scipy: string;
  ks: { name: string; method: 'auto' | 'exact' | 'asymp'; a: number[]; b: number[]; statistic: number; pvalue: number }[];
  ks_large: { a: number[]; b: number[]; statistic: number; pvalue: number };
  kstwo_sf: { n: number; x: number; sf: number }[];
  chi2_sf: { x: number; df: number; sf: number }[];
  norm_sf: { z: number; sf: number }[];
  chi2_contingency: { ref: number[]; cur: number[]; statistic: number; pvalue: number; df: number }[];
  wasserstein: { name: string; a: number[]; b: number[]; distance: number }[];
  jensenshannon: { p: number[]; q: number[]; distance: number; distance_base2: number }[];
}

// Golden values from test/fixtures/gen/drift_golden.py (Debian /usr/bin/python3 + python3-scipy).
const golden = JSON.parse(readFileSync(fixture('drift/golden.json'), 'utf8')) as Golden;

/** |a − b| ≤ abs + rel·|b|. */
function close(actual: number, expected: number, rel: number, abs = 0): void {
  const ok = Math.abs(actual - expected) <= abs + rel * Math.abs(expected);
  expect(ok, `${actual} vs ${expected} (rel ${rel}, abs ${abs})`).toBe(true);
}

// Tolerances: closed forms (chi-square sf, normal sf, statistics) 1e-9 relative; KS exact 1e-6
// relative (SciPy's recursion and ours round differently); KS asymptotic (kstwo.sf: Smirnov's sum,
// Durbin matrix, Pomeranz, Pelz-Good) 1e-6 relative.
describe('drift statistics agree with SciPy ' + golden.scipy, () => {
  it('ks_2samp exact and auto (ties, unequal sizes, tiny p)', () => {
    for (const c of golden.ks.filter((k) => k.method !== 'asymp')) {
      const r = ksTwoSample(sortedFinite(c.a), sortedFinite(c.b), c.method);
      close(r.statistic, c.statistic, 1e-12);
      close(r.pValue, c.pvalue, 1e-6, 1e-300);
    }
  });

  it('ks_2samp asymptotic (kstwo.sf) on small samples and auto on large ones', () => {
    for (const c of golden.ks.filter((k) => k.method === 'asymp')) {
      const r = ksTwoSample(sortedFinite(c.a), sortedFinite(c.b), 'asymp');
      close(r.statistic, c.statistic, 1e-12);
      // n·m/(n+m) ≤ 140 here: the Durbin matrix and Pomeranz paths of kstwo.sf.
      close(r.pValue, c.pvalue, 1e-6, 1e-15);
    }
    const big = golden.ks_large;
    const r = ksTwoSample(sortedFinite(big.a), sortedFinite(big.b));
    expect(r.mode).toBe('asymp');
    close(r.statistic, big.statistic, 1e-12);
    close(r.pValue, big.pvalue, 1e-6);
  });

  it('kstwo.sf', () => {
    for (const c of golden.kstwo_sf) close(kolmogorovSf(c.n, c.x), c.sf, 1e-6, 1e-15);
  });

  it('chi2.sf and norm.sf', () => {
    for (const c of golden.chi2_sf) close(chiSquareSf(c.x, c.df), c.sf, 1e-9, 1e-300);
    for (const c of golden.norm_sf) close(normalSf(c.z), c.sf, 1e-9, 1e-300);
  });

  it('chi2_contingency without correction', () => {
    for (const c of golden.chi2_contingency) {
      const r = chiSquareHomogeneity(c.ref, c.cur);
      close(r.statistic, c.statistic, 1e-9);
      close(r.pValue ?? Number.NaN, c.pvalue, 1e-9, 1e-300);
      expect(r.df).toBe(c.df);
    }
  });

  it('wasserstein_distance and jensenshannon (natural log)', () => {
    for (const c of golden.wasserstein) close(wassersteinSorted(sortedFinite(c.a), sortedFinite(c.b)), c.distance, 1e-9);
    for (const c of golden.jensenshannon) close(jensenShannon(c.p, c.q), c.distance, 1e-9, 1e-12);
  });
});

describe('Benjamini-Hochberg', () => {
  it('adjusted p-values as R p.adjust(p, "BH"), in input order, ties alike', () => {
    // p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") = 0.02 0.04 0.04 0.02
    const got = benjaminiHochbergAdjusted([0.01, 0.04, 0.03, 0.005]);
    [0.02, 0.04, 0.04, 0.02].forEach((want, i) => close(got[i]!, want, 1e-12));
    // p.adjust(c(0.5, 0.9, 0.5), "BH") = 0.75 0.9 0.75
    const ties = benjaminiHochbergAdjusted([0.5, 0.9, 0.5]);
    [0.75, 0.9, 0.75].forEach((want, i) => close(ties[i]!, want, 1e-12));
  });
});

describe('radix sort', () => {
  it('sorts like TypedArray#sort (negatives, zeros, infinities, ties, subnormals)', () => {
    let seed = 3;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const values = Float64Array.from({ length: 20_000 }, (_, i) => {
      if (i % 997 === 0) return [Infinity, -Infinity, 0, -0, 5e-324, -5e-324][i % 6]!;
      if (i % 3 === 0) return Math.round(rand() * 10) - 5;
      return (rand() - 0.5) * 10 ** Math.floor(rand() * 20 - 10);
    });
    const expected = Float64Array.from(values).sort();
    const got = radixSortFloat64(values);
    expect(Array.from(got).map(String)).toEqual(Array.from(expected).map(String));
    expect(sortedFinite(Float64Array.from([3, Number.NaN, 1]))).toEqual(Float64Array.from([1, 3]));
  });
});
