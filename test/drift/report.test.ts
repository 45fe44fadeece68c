import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReferenceProfile, DRIFT_RULES, driftReport, renderDriftHtml, serialiseProfile, type DriftReport } from '../../src/drift/index.js';
import { isBulwarkError } from '../../src/errors.js';
import { browserAvailable, launchBrowser, openHtml } from '../browser.js';
import { fixture, runBulwark, tempDir } from '../helpers.js';
import { sarifSchemaErrors } from '../sarif-schema.js';
// @ts-expect-error: a plain .mjs generator without types
import { driftCsv } from '../fixtures/gen/make_drift.mjs';

const REF = fixture('drift/ref.csv');
const SAME = fixture('drift/cur-same.csv');
const SHIFTED = fixture('drift/cur-shifted.csv');
const makeCsv = driftCsv as (seed: number, n: number, shifted?: boolean) => string;

describe('driftReport', () => {
  let same: DriftReport;
  let shifted: DriftReport;
  beforeAll(async () => {
    same = await driftReport({ reference: REF, current: SAME, prediction: 'score' });
    shifted = await driftReport({ reference: REF, current: SHIFTED, prediction: 'score' });
  });

  it('negative: identical distributions give no finding (BW-DRF-001..004)', () => {
    expect(same.findings).toEqual([]);
    expect(same.metrics).toMatchObject({ drifted_columns: 0, dataset_drift: 0, multivariate_drift: 0, prediction_drift: 0 });
    expect(same.kind).toBe('drift');
    expect(same.subjects).toHaveLength(2);
    expect(same.subjects[0]!.digest.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('positive: shifted income/city and an over-confident score fire every rule', () => {
    const ids = new Set(shifted.findings.map((f) => f.ruleId));
    for (const id of ['BW-DRF-001', 'BW-DRF-002', 'BW-DRF-003', 'BW-DRF-004']) expect(ids, id).toContain(id);
    const income = shifted.drift.columns.find((c) => c.column === 'income')!;
    expect(income).toMatchObject({ method: 'ks', drifted: true, kind: 'continuous' });
    const city = shifted.drift.columns.find((c) => c.column === 'city')!;
    expect(city.method).toBe('chi-square');
    expect(city.unseenShare).toBeGreaterThan(0.1);
    expect(shifted.metrics!.high_confidence_share_cur).toBeGreaterThan(shifted.metrics!.high_confidence_share_ref!);
    expect(shifted.drift.columns.find((c) => c.column === 'ts')).toMatchObject({ kind: 'datetime', method: 'none' });
    expect(shifted.drift.columns.find((c) => c.column === 'note')?.kind).toBe('text');
    expect(shifted.drift.columns.find((c) => c.column === 'clicked')).toMatchObject({ kind: 'binary', method: 'z-test' });
  });

  it('is deterministic', async () => {
    const again = await driftReport({ reference: REF, current: SHIFTED, prediction: 'score' });
    expect(JSON.stringify(again)).toBe(JSON.stringify(shifted));
  });

  it('every result records method, statistic, threshold, n and binning', () => {
    for (const c of shifted.drift.columns) {
      expect(c).toHaveProperty('method');
      expect(c.n.reference).toBeGreaterThan(0);
      expect(typeof c.binning).toBe('string');
      expect(typeof c.threshold).toBe('number');
    }
  });

  it('large samples switch to Wasserstein and Jensen-Shannon; a profile reference gives the same verdicts', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'ref.csv'), makeCsv(11, 3000));
      writeFileSync(join(dir, 'cur.csv'), makeCsv(12, 2500, true));
      const raw = await driftReport({ reference: join(dir, 'ref.csv'), current: join(dir, 'cur.csv') });
      const income = raw.drift.columns.find((c) => c.column === 'income')!;
      expect(income.method).toBe('wasserstein');
      expect(income.drifted).toBe(true);
      expect(income.statistic).toBeGreaterThan(0.8);
      expect(raw.drift.columns.find((c) => c.column === 'city')!.method).toBe('jensen-shannon');
      const profile = await buildReferenceProfile({ reference: join(dir, 'ref.csv') });
      writeFileSync(join(dir, 'ref.profile.json'), serialiseProfile(profile));
      const fromProfile = await driftReport({ reference: join(dir, 'ref.profile.json'), current: join(dir, 'cur.csv') });
      expect(fromProfile.drift.columns.map((c) => [c.column, c.method, c.drifted])).toEqual(raw.drift.columns.map((c) => [c.column, c.method, c.drifted]));
      expect(fromProfile.drift.columns.find((c) => c.column === 'income')!.statistic).toBeCloseTo(income.statistic, 10);
    } finally {
      cleanup();
    }
  });

  it('per-column method override, corrections and a bad column name', async () => {
    const r = await driftReport({ reference: REF, current: SHIFTED, methods: { income: 'psi', age: 'wasserstein' }, correction: 'bonferroni' });
    expect(r.drift.columns.find((c) => c.column === 'income')!.method).toBe('psi');
    // Bonferroni: each p-value times the number of p-value tests, capped at 1.
    const tested = r.drift.columns.filter((c) => c.pValue !== undefined && !Number.isNaN(c.pValue));
    expect(tested.length).toBeGreaterThan(1);
    for (const c of tested) expect(c.adjustedPValue).toBe(Math.min(1, c.pValue! * tested.length));
    const bh = await driftReport({ reference: REF, current: SHIFTED, correction: 'bh' });
    expect(bh.drift.columns.filter((c) => c.pValue !== undefined).length).toBeGreaterThan(1);
    for (const c of bh.drift.columns) if (c.pValue !== undefined) expect(c.adjustedPValue!).toBeGreaterThanOrEqual(c.pValue);
    await expect(driftReport({ reference: REF, current: SHIFTED, columns: ['nope'] })).rejects.toSatisfy((e: unknown) => isBulwarkError(e, 'USAGE') && /ref\.csv.*nope/.test((e as Error).message));
  });

  it('a malformed profile is an error naming the field', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const p = await buildReferenceProfile({ reference: REF });
      const json = JSON.parse(serialiseProfile(p)) as { columns: { count: unknown }[] };
      json.columns[0]!.count = 'many';
      writeFileSync(join(dir, 'bad.json'), JSON.stringify({ format: 'bulwark-drift-profile', ...json }));
      await expect(driftReport({ reference: join(dir, 'bad.json'), current: SAME })).rejects.toSatisfy(
        (e: unknown) => isBulwarkError(e, 'CONFIG_INVALID') && /bad\.json.*columns\.0\.count/.test((e as Error).message),
      );
    } finally {
      cleanup();
    }
  });

  it('rules have BW-DRF ids', () => {
    expect(DRIFT_RULES.map((r) => r.id)).toEqual(['BW-DRF-001', 'BW-DRF-002', 'BW-DRF-003', 'BW-DRF-004']);
  });
});

describe('bulwark drift (CLI)', () => {
  it('text, json, sarif and --fail-on-drift exit codes', async () => {
    const ok = await runBulwark(['drift', REF, SAME]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('0/6 columns drifted');
    const bad = await runBulwark(['drift', REF, SHIFTED, '--fail-on-drift', '--format', 'json', '--prediction', 'score']);
    expect(bad.code).toBe(1);
    const json = JSON.parse(bad.stdout) as DriftReport;
    expect(json.drift.columns.length).toBe(7);
    const sarif = await runBulwark(['drift', REF, SHIFTED, '--format', 'sarif']);
    expect(sarifSchemaErrors(JSON.parse(sarif.stdout))).toEqual([]);
  });

  it('profile subcommand, then drift against the profile, writing HTML atomically', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const p = await runBulwark(['drift', 'profile', REF, '--output', join(dir, 'ref.profile.json')]);
      expect(p.code).toBe(0);
      const r = await runBulwark(['drift', join(dir, 'ref.profile.json'), SHIFTED, '--format', 'html', '--output', join(dir, 'r.html')]);
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain('Dataset drift');
    } finally {
      cleanup();
    }
  });

  it('bad input: unknown --method value, missing file, unreadable data', async () => {
    expect((await runBulwark(['drift', REF, SAME, '--method', 'income=magic'])).stderr).toContain('--method income=magic');
    const missing = await runBulwark(['drift', REF, '/nonexistent.csv']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent.csv');
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'broken.parquet'), 'not a parquet file at all');
      const broken = await runBulwark(['drift', join(dir, 'broken.parquet'), SAME]);
      // Unreadable input: exit 3 (incomplete), as every dataset command; a missing path is usage (2).
      expect(broken.code).toBe(3);
      expect(broken.stderr).toContain('broken.parquet');
      expect(broken.stderr).not.toContain('    at ');
    } finally {
      cleanup();
    }
  });
});

describe.skipIf(!browserAvailable())('drift HTML page in Chromium', () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
  });

  it('renders the summary table and one histogram per column, with no requests or console errors', async () => {
    const report = await driftReport({ reference: REF, current: SHIFTED, prediction: 'score' });
    const { page, requests, consoleErrors } = await openHtml(browser, renderDriftHtml(report));
    expect(requests).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(await page.locator('h1').innerText()).toContain('drift report');
    expect(await page.locator('tbody tr').count()).toBe(7);
    expect(await page.locator('svg.chart').count()).toBe(7);
    expect(await page.locator('text=Dataset drift').count()).toBeGreaterThan(0);
    const box = await page.locator('svg.chart').first().boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(100);
    await page.close();
  });
});

describe('unreadable input', () => {
  it('names the offending line of a ragged CSV instead of reading one wide column', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'ref.csv'), 'a,b,c\n1,2,3\n4,5,6\n');
      writeFileSync(join(dir, 'cur.csv'), 'a,b,c\n1,2,3\n4,5\n6,7,8\n');
      await expect(driftReport({ reference: join(dir, 'ref.csv'), current: join(dir, 'cur.csv') })).rejects.toThrow(/cur\.csv: cannot read the csv dataset: .*Line: 3/);
    } finally {
      cleanup();
    }
  });
});
