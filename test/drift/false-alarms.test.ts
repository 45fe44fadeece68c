import { describe, expect, it } from 'vitest';
import { compareColumn, DEFAULT_ALPHA } from '../../src/drift/compare.js';
import { profileFromDataset } from '../../src/drift/profile.js';
import { seededRandom as mulberry32 } from '../../src/stats/random.js';
import type { RawColumn, RawDataset } from '../../src/drift/read.js';
// @ts-expect-error: a plain .mjs generator without types
import { normal } from '../fixtures/gen/make_drift.mjs';

const gauss = normal as (rand: () => number) => number;
const SAMPLES = 200;
// Stated margin: 3 binomial standard deviations at alpha = 0.05 over 200 runs is 0.046; we allow 0.05.
const MARGIN = 0.05;

function numericColumn(name: string, values: Float64Array): RawColumn {
  return { name, sqlType: 'DOUBLE', kind: 'continuous', count: values.length, missing: 0, distinct: values.length, values };
}

function categoricalColumn(name: string, kind: 'categorical' | 'binary', draws: string[]): RawColumn {
  const counts = new Map<string, number>();
  for (const d of draws) counts.set(d, (counts.get(d) ?? 0) + 1);
  const sorted = new Map([...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  return { name, sqlType: 'VARCHAR', kind, count: draws.length, missing: 0, distinct: sorted.size, counts: sorted, other: 0 };
}

function dataset(rand: () => number, n: number, shift = 0): RawDataset {
  const x = Float64Array.from({ length: n }, () => gauss(rand) + shift);
  const cats = ['a', 'b', 'b', 'c', 'c', 'c', 'd'];
  const cat = Array.from({ length: n }, () => cats[Math.floor(rand() * cats.length)]!);
  const bin = Array.from({ length: n }, () => (rand() < 0.3 ? 'yes' : 'no'));
  return { path: 'mem', rows: n, columns: [numericColumn('x', x), categoricalColumn('cat', 'categorical', cat), categoricalColumn('bin', 'binary', bin)], skipped: [] };
}

/** Drift rate per column over SAMPLES seeded reference/current pairs of size n. */
function driftRates(n: number, shift: number, seed: number): Record<string, { rate: number; method: string }> {
  const rand = mulberry32(seed);
  const hits: Record<string, { count: number; method: string }> = {};
  for (let s = 0; s < SAMPLES; s++) {
    const ref = dataset(rand, n);
    const cur = dataset(rand, n, shift);
    const profile = profileFromDataset({ dataset: ref, name: 'ref', sha256: '0'.repeat(64) });
    for (const col of profile.columns) {
      const raw = ref.columns.find((c) => c.name === col.name)!;
      const r = compareColumn({ reference: col, referenceSorted: raw.values ? Float64Array.from(raw.values).sort() : undefined, current: cur.columns.find((c) => c.name === col.name)!, role: 'feature', alpha: DEFAULT_ALPHA });
      hits[col.name] ??= { count: 0, method: r.method };
      if (r.drifted) hits[col.name]!.count++;
    }
  }
  return Object.fromEntries(Object.entries(hits).map(([k, v]) => [k, { rate: v.count / SAMPLES, method: v.method }]));
}

describe(`false alarms over ${SAMPLES} seeded samples of identical distributions`, () => {
  it(`small samples (KS, chi-square, z-test): drift rate <= alpha ${DEFAULT_ALPHA} + ${MARGIN}`, () => {
    const rates = driftRates(300, 0, 42);
    expect(rates.x!.method).toBe('ks');
    expect(rates.cat!.method).toBe('chi-square');
    expect(rates.bin!.method).toBe('z-test');
    for (const [col, r] of Object.entries(rates)) expect(r.rate, col).toBeLessThanOrEqual(DEFAULT_ALPHA + MARGIN);
  });

  it('large samples (Wasserstein >= 0.1, Jensen-Shannon >= 0.1): drift rate <= 0.01', () => {
    const rates = driftRates(2000, 0, 43);
    expect(rates.x!.method).toBe('wasserstein');
    expect(rates.cat!.method).toBe('jensen-shannon');
    expect(rates.x!.rate).toBeLessThanOrEqual(0.01);
    expect(rates.cat!.rate).toBeLessThanOrEqual(0.01);
  });

  it('power sanity: a 0.5 std mean shift is detected by KS at n = 300 almost always', () => {
    expect(driftRates(300, 0.5, 44).x!.rate).toBeGreaterThan(0.95);
  });
});
