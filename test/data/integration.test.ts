/** The engine with the real detectors (src/data/detect) and poisoning analysis (src/data/poison). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateDataset } from '../../src/data/index.js';
import { detectPoisoning, makePlantedPoisonDataset } from '../../src/data/poison/index.js';
import { fixture, tempDir } from '../helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('default detectors and poisoning in the fused validation', () => {
  it('finds the planted e-mails and formula payloads in values.csv, nothing in clean.csv', async () => {
    const r = await validateDataset({ path: fixture('data/values.csv') });
    const email = r.findings.find((f) => f.evidence?.detector === 'pii/email');
    expect(email?.evidence).toMatchObject({ column: 'contact', values: 11, distinct_values: 10 });
    expect(JSON.stringify(r)).not.toContain('user10@example.com');
    const formula = r.findings.find((f) => f.evidence?.column === 'comment' && f.ruleId.startsWith('BW-INJ'));
    expect(formula?.evidence?.values).toBe(4);
    expect(r.metrics?.pii_values).toBe(11);
    expect(r.metrics?.injection_values).toBeGreaterThanOrEqual(4);
    expect(r.rules.map((x) => x.id)).toContain(email?.ruleId);
    const clean = await validateDataset({ path: fixture('data/clean.csv') });
    expect(clean.findings).toEqual([]);
    expect(clean.metrics).toMatchObject({ pii_values: 0, pii_rate: 0, injection_values: 0, injection_rate: 0 });
  });

  it('end to end on a planted-poison CSV (2% flipped labels): recall and precision >= 0.8 for kNN + conflicting duplicates', async () => {
    const { input, planted } = makePlantedPoisonDataset({ rows: 3000, seed: 7 });
    const header = [...input.numeric.map((n) => n.name), ...input.categorical.map((c) => c.name), 'label'];
    const lines = input.rowIds.map((_, i) => [...input.numeric.map((n) => String(n.values[i])), ...input.categorical.map((c) => c.values[i] ?? ''), input.labels[i] ?? ''].join(','));
    const csv = join(tmp.dir, 'planted.csv');
    writeFileSync(csv, `${header.join(',')}\n${lines.join('\n')}\n`);
    // Uncapped suspicions, as in part 2's benchmark: this checks the rows the engine hands over (ids, features, labels).
    const r = await validateDataset({ path: csv, label: 'label', poison: (i) => detectPoisoning(i, { maxSuspicionsPerRule: Number.POSITIVE_INFINITY }) });
    expect(r.errors).toEqual([]);
    const flagged = new Set<number>();
    for (const f of r.findings) {
      if (f.ruleId !== 'BW-PSN-001' && f.ruleId !== 'BW-PSN-002') continue;
      for (const id of String(f.evidence?.rows).split(',')) flagged.add(Number(id));
    }
    const tp = [...flagged].filter((id) => planted.has(id)).length;
    const recall = tp / planted.size;
    const precision = flagged.size > 0 ? tp / flagged.size : 0;
    expect(recall).toBeGreaterThanOrEqual(0.8);
    expect(precision).toBeGreaterThanOrEqual(0.8);
    expect(r.metrics?.poison_suspicions).toBeGreaterThan(0);
  }, 60_000);
});
