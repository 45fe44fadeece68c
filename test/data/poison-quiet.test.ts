/**
 * "Quiet on clean data" (issue 5): the poisoning signals must not flag clean, imbalanced,
 * heavy-tailed data at medium or above, and report only a bounded number of low outlier leads;
 * with positive tests for what changed (class-prior-aware kNN, aggregated outliers).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateDataset } from '../../src/data/index.js';
import { seededRandom } from '../../src/data/poison/stats.js';
import { detectPoisoning, makeCleanImbalancedDataset, poisonFindingDrafts, makePlantedPoisonDataset, suspectedRows, type PoisonInput, type PoisonResult } from '../../src/data/poison/index.js';

const TRAIN = fileURLToPath(new URL('../../examples/fraud-detection/data/train.csv', import.meta.url));
const SEVERITY: Record<string, string> = { 'BW-PSN-001': 'high', 'BW-PSN-002': 'medium', 'BW-PSN-003': 'low', 'BW-PSN-004': 'low', 'BW-PSN-005': 'medium', 'BW-PSN-006': 'high' };
const byRule = (r: PoisonResult, id: string) => r.suspicions.filter((s) => s.ruleId === id);

/** The stated bound: at most this many low (outlier) BW-PSN suspicions on clean data. */
const LOW_BOUND = 5;

describe('poisoning signals stay quiet on clean data', () => {
  it('the clean fraud example read through the engine: no medium+ BW-PSN finding, at most 5 low ones', async () => {
    const report = await validateDataset({ path: TRAIN, label: 'is_fraud' });
    expect(report.complete).toBe(true);
    const psn = report.findings.filter((f) => f.ruleId.startsWith('BW-PSN-'));
    expect(psn.filter((f) => f.severity !== 'low' && f.severity !== 'info')).toEqual([]);
    expect(psn.length).toBeLessThanOrEqual(LOW_BOUND);
    expect(report.metrics?.poison_knn_rows_flagged).toBe(0);
  }, 60_000);

  it.each([
    [4000, 11],
    [4000, 5],
    [12000, 3],
  ])('a generated clean imbalanced heavy-tailed dataset (%i rows, seed %i): no medium+ suspicion, at most 5 low ones', (rows, seed) => {
    const r = detectPoisoning(makeCleanImbalancedDataset({ rows, seed }));
    expect(r.suspicions.filter((s) => SEVERITY[s.ruleId] !== 'low')).toEqual([]);
    expect(r.suspicions.length).toBeLessThanOrEqual(LOW_BOUND);
    // Outliers are aggregated: one suspicion per class and column (robust z) / per class (forest).
    const keys = byRule(r, 'BW-PSN-003').map((s) => `${s.evidence.label}/${s.evidence.feature}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('BW-PSN-002 on imbalanced labels (class-prior aware)', () => {
  it('keeps genuine rare-class rows that sit among the majority quiet (the old rule flagged every one)', () => {
    const data = makeCleanImbalancedDataset({ rows: 4000, seed: 11 });
    const r = detectPoisoning(data);
    expect(byRule(r, 'BW-PSN-002')).toEqual([]);
    // A naive neighbour-majority rule (>= 70% disagreement, no class prior) would flag many of them.
    expect(r.metrics.poison_knn_min_class_threshold).toBeLessThan(0.3);
  });

  it('still finds 2% flipped labels when the classes are imbalanced (95% / 5%, separable)', () => {
    const { input, planted } = makePlantedPoisonDataset({ rows: 3000, seed: 7, classes: 2, classWeights: [0.95, 0.05] });
    const r = detectPoisoning(input, { maxSuspicionsPerRule: Number.POSITIVE_INFINITY });
    const found = suspectedRows(r.suspicions, ['BW-PSN-001', 'BW-PSN-002']);
    const tp = [...found].filter((x) => planted.has(x)).length;
    expect(tp / planted.size).toBeGreaterThanOrEqual(0.8);
    expect(tp / found.size).toBeGreaterThanOrEqual(0.8);
  });
});

describe('BW-PSN-003 / 004 aggregated outlier leads', () => {
  function lognormal(n: number): PoisonInput {
    // Seeded log-normal amounts (sigma 1.1): a heavy right tail, like transaction amounts.
    const rand = seededRandom(3);
    const values = Float64Array.from({ length: n }, () => Math.round(Math.exp(3 + 1.1 * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())) * 100) / 100);
    return { rowIds: Array.from({ length: n }, (_, i) => i), labels: Array<string>(n).fill('a'), numeric: [{ name: 'amount', values }], categorical: [], text: [] };
  }

  it('does not flag the tail of a heavy-tailed non-negative column (extreme on the raw scale only)', () => {
    const data = lognormal(500);
    const raw = data.numeric[0]?.values ?? new Float64Array();
    const sorted = Array.from(raw).sort((a, b) => a - b);
    expect((sorted[sorted.length - 1] ?? 0) / (sorted[250] ?? 1)).toBeGreaterThan(20);
    // The old raw-scale rule flagged its tail row by row.
    expect(byRule(detectPoisoning(data), 'BW-PSN-003')).toEqual([]);
    // The forest may still name the extreme tail of a 1-D sample, as one aggregated low lead.
    expect(byRule(detectPoisoning(data), 'BW-PSN-004').length).toBeLessThanOrEqual(1);
  });

  it('reports many outliers of one class and column as ONE suspicion naming the top rows, strongest first', () => {
    const n = 400;
    const x = Float64Array.from({ length: n }, (_, i) => 10 + (i % 7));
    for (let i = 0; i < 30; i++) x[i * 13] = 1000 + i;
    const r = detectPoisoning({ rowIds: Array.from({ length: n }, (_, i) => i), labels: Array<string>(n).fill('a'), numeric: [{ name: 'x', values: x }], categorical: [], text: [] }, { outlierTopRows: 5 });
    const z = byRule(r, 'BW-PSN-003');
    expect(z).toHaveLength(1);
    expect(z[0]?.evidence.outlier_rows).toBe(30);
    expect(z[0]?.rowIds).toEqual([29 * 13, 28 * 13, 27 * 13, 26 * 13, 25 * 13]);
    expect(r.metrics.poison_robust_z_outliers).toBe(30);
  });

  it('gives the per-column leads of one class distinct finding keys, even with the same rows', () => {
    const n = 100;
    const x = Float64Array.from({ length: n }, (_, i) => 10 + (i % 7));
    x[3] = 900;
    const y = Float64Array.from(x);
    const r = detectPoisoning({ rowIds: Array.from({ length: n }, (_, i) => i), labels: Array<string>(n).fill('a'), numeric: [{ name: 'x', values: x }, { name: 'y', values: y }], categorical: [], text: [] });
    const drafts = poisonFindingDrafts(byRule(r, 'BW-PSN-003'), 'd.csv');
    expect(drafts.map((d) => d.key)).toEqual(['robust-z-outlier:a/x:3', 'robust-z-outlier:a/y:3']);
  });
});
