import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSuite, profileDataset, renderProfileHtml, renderSuiteYaml, suggestSuite, validateDataset } from '../../src/data/index.js';
import { datasetReaderSql, openDuckDb } from '../../src/data/duckdb.js';
import { browserAvailable, launchBrowser, openHtml } from '../browser.js';
import { fixture, tempDir } from '../helpers.js';

const data = (f: string): string => fixture(`data/${f}`);
const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('profileDataset', () => {
  it('profiles every column: type, nulls, distinct, statistics, quantiles, lengths, top values, histogram', async () => {
    const p = await profileDataset({ path: data('clean.parquet') });
    expect(p).toMatchObject({ schemaVersion: 1, kind: 'data-profile', rows: 200, engine: 'duckdb', approxQuantiles: false });
    const byName = new Map(p.columns.map((c) => [c.name, c]));
    const id = byName.get('id');
    expect(id).toMatchObject({ kind: 'integer', nulls: 0, distinct: 200, min: 1, max: 200, mean: 100.5 });
    expect(id?.std).toBeCloseTo(57.8792, 3);
    expect(id?.quantiles?.find((q) => q.q === 0.5)?.value).toBeGreaterThan(95);
    expect(id?.histogram?.counts.reduce((a, b) => a + b, 0)).toBe(200);
    const country = byName.get('country');
    expect(country).toMatchObject({ kind: 'text', distinct: 4, minLength: 2, maxLength: 2 });
    expect(country?.top?.map((t) => t.value).sort()).toEqual(['DE', 'FR', 'GB', 'US']);
    expect(country?.top?.reduce((a, t) => a + t.count, 0)).toBe(200);
    expect(byName.get('meta')?.parseable).toMatchObject({ json: 1 });
    const broken = await profileDataset({ path: data('broken.csv') });
    expect(broken.columns.find((c) => c.name === 'age')).toMatchObject({ nulls: 1, min: -3, max: 150 });
  });

  it('reads quantiles from fine bins above exactQuantileRows: within (max - min) / quantileBins of the exact ones, integers exact, same histograms', async () => {
    const file = join(tmp.dir, 'binned.csv');
    const lines = ['f,i,g'];
    for (let k = 0; k < 3000; k++) {
      const f = k % 37 === 0 ? '' : String(((k * 7919) % 3001) / 7 - 100); // nulls must not be binned
      lines.push(`${f},${(k * 31) % 250},${k % 11 === 0 ? 1e6 : (k * 13) % 97}`);
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const exact = await profileDataset({ path: file });
    // topValuesMaxDistinct 10: no column qualifies for the value-count path, every one is binned.
    const binned = await profileDataset({ path: file, exactQuantileRows: 100, quantileBins: 512, topValuesMaxDistinct: 10 });
    expect(exact.approxQuantiles).toBe(false);
    expect(binned.approxQuantiles).toBe(true);
    for (const c of binned.columns) {
      const e = exact.columns.find((x) => x.name === c.name);
      expect(c.histogram).toEqual(e?.histogram);
      expect(c.histogram?.counts.reduce((a, b) => a + b, 0)).toBe(3000 - c.nulls);
      expect(c.quantiles).toHaveLength(5);
      const bound = ((c.max ?? 0) - (c.min ?? 0)) / 512;
      c.quantiles?.forEach((q, i) => {
        const want = e?.quantiles?.[i]?.value ?? Number.NaN;
        if (c.name === 'i') expect(q.value).toBe(want);
        else expect(Math.abs(q.value - want)).toBeLessThanOrEqual(bound);
      });
    }
  });

  it('profiles numeric columns of modest cardinality from one group-by of their values above exactQuantileRows: the same profile as the exact path', async () => {
    const file = join(tmp.dir, 'counted.csv');
    const lines = ['f,i,g,big'];
    for (let k = 0; k < 3000; k++) {
      const f = k % 37 === 0 ? '' : String(((k * 7919) % 301) / 7 - 10);
      lines.push(`${f},${(k * 31) % 250},${k % 11 === 0 ? 1e6 : (k * 13) % 97},${(k * 7919) % 3001 / 3}`);
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const exact = await profileDataset({ path: file });
    const counted = await profileDataset({ path: file, exactQuantileRows: 100, quantileBins: 512, topValuesMaxDistinct: 1000 });
    // f, i and g (at most 301 values) are counted exactly; big (3000 values, above the bound) is binned.
    expect(counted.approxQuantiles).toBe(true);
    for (const name of ['f', 'i', 'g']) expect(counted.columns.find((c) => c.name === name)).toEqual(exact.columns.find((c) => c.name === name));
    const big = counted.columns.find((c) => c.name === 'big');
    expect(big?.histogram).toEqual(exact.columns.find((c) => c.name === 'big')?.histogram);
  });

  it('proves uniqueness of a near-unique column by its strictly increasing order, else by a group-by', async () => {
    const file = join(tmp.dir, 'keys.csv');
    const n = 500;
    const lines = ['sorted,shuffled,dup_late,down'];
    for (let i = 0; i < n; i++) lines.push(`${i * 3},${(i * 7919) % n},${i === n - 1 ? 0 : i},${n - i}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const p = await profileDataset({ path: file, topValuesMaxDistinct: 10 });
    const by = (name: string): unknown => p.columns.find((c) => c.name === name);
    expect(by('sorted')).toMatchObject({ unique: true, distinct: n, distinctApprox: false });
    expect(by('shuffled')).toMatchObject({ unique: true, distinct: n, distinctApprox: false });
    expect(by('down')).toMatchObject({ unique: true, distinct: n, distinctApprox: false });
    expect(by('dup_late')).toMatchObject({ unique: false, distinctApprox: true });
  });

  it('key-like numeric columns (the first 10,000 rows all distinct) skip the first sketch: proved unique by order, else sketched in a later scan', async () => {
    const file = join(tmp.dir, 'keylike.csv');
    const n = 12_000;
    const lines = ['asc,shuffled,dup_after'];
    for (let i = 0; i < n; i++) lines.push(`${i},${(i * 7919) % n},${i < 10_000 ? i : i - 5_000}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const p = await profileDataset({ path: file, topValuesMaxDistinct: 10 });
    const by = (name: string): unknown => p.columns.find((c) => c.name === name);
    expect(by('asc')).toMatchObject({ unique: true, distinct: n, distinctApprox: false });
    // Above exactQuantileRows, the contiguous id (0..n-1) needs no bin set: the same exact profile.
    const big = await profileDataset({ path: file, topValuesMaxDistinct: 10, exactQuantileRows: 100, quantileBins: 512 });
    expect(big.columns.find((c) => c.name === 'asc')).toEqual(by('asc'));
    expect(big.columns.find((c) => c.name === 'shuffled')?.histogram).toEqual(p.columns.find((c) => c.name === 'shuffled')?.histogram);
    // Not increasing: the same HyperLogLog estimates the first scan would have made (then the usual
    // near-unique rule: at least 0.9 of the rows -> duplicate-key check).
    const db = await openDuckDb({ readPaths: [file] });
    try {
      const [row] = await db.query(`SELECT approx_count_distinct(shuffled) AS s, approx_count_distinct(dup_after) AS d FROM ${datasetReaderSql('csv', 1)}`, [resolve(file)]);
      const sketch = { shuffled: Number(row?.s), dup_after: Number(row?.d) };
      const shuffled = p.columns.find((c) => c.name === 'shuffled');
      if (sketch.shuffled >= 0.9 * n) expect(shuffled).toMatchObject({ unique: true, distinct: n, distinctApprox: false });
      else expect(shuffled).toMatchObject({ unique: false, distinct: sketch.shuffled, distinctApprox: true });
      expect(by('dup_after')).toMatchObject({ unique: false, distinct: sketch.dup_after, distinctApprox: true });
    } finally {
      db.close();
    }
  });

  it('throws a PARSE_ERROR naming the file for malformed input', async () => {
    await expect(profileDataset({ path: data('truncated.parquet') })).rejects.toMatchObject({ code: 'PARSE_ERROR', message: expect.stringContaining('truncated.parquet') as string });
  });
});

describe('suggestSuite', () => {
  it('suggests completeness, ranges, sets, uniqueness, lengths and types, with reasons', async () => {
    const suite = await suggestSuite({ path: data('clean.csv'), suggest: { label: 'label' } });
    const types = suite.expectations.map((e) => e.type);
    for (const t of ['columns', 'row_count', 'not_null', 'unique', 'between', 'in_set', 'length_between', 'label_balance']) expect(types).toContain(t);
    const docs = join(tmp.dir, 'docs.csv');
    writeFileSync(docs, `doc,day\n${Array.from({ length: 50 }, (_, i) => `"{""k"": ${i}}",2024-01-${String((i % 28) + 1).padStart(2, '0')}x`).join('\n')}\n`);
    const parsed = await suggestSuite({ path: docs });
    expect(parsed.expectations.filter((e) => e.type === 'parseable')).toEqual([expect.objectContaining({ column: 'doc', as: 'json' })]);
    expect(suite.expectations.find((e) => e.type === 'unique')).toMatchObject({ columns: ['id'] });
    expect(suite.expectations.find((e) => e.type === 'in_set' && e.column === 'country')).toMatchObject({ values: ['DE', 'FR', 'GB', 'US'] });
    const yaml = renderSuiteYaml(suite);
    expect(yaml).toMatch(/# id: every one of 200 values is distinct/);
    expect(parseSuite(yaml, 'suggested.yaml')).toEqual(JSON.parse(JSON.stringify({ ...suite, expectations: suite.expectations.map(({ note: _note, ...e }) => e) })));
  });

  it('round-trips: suggest then validate passes on the same data and fails on a broken copy', async () => {
    const suite = parseSuite(renderSuiteYaml(await suggestSuite({ path: data('clean.csv') })));
    const same = await validateDataset({ path: data('clean.csv'), suite });
    expect(same.findings).toEqual([]);
    expect(same.metrics?.expectations_failed).toBe(0);
    const asParquet = await validateDataset({ path: data('clean.parquet'), suite });
    expect(asParquet.findings).toEqual([]);
    const broken = await validateDataset({ path: data('broken.csv'), suite });
    expect(broken.metrics?.expectations_failed).toBeGreaterThanOrEqual(4);
    expect(new Set(broken.findings.map((f) => f.ruleId))).toEqual(new Set(['BW-DAT-001', 'BW-DAT-003', 'BW-DAT-004', 'BW-DAT-005']));
  });
});

describe.skipIf(!browserAvailable())('profile HTML page in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser.close();
  });

  it('renders a chart per column, makes no request, logs no error, and escapes values', async () => {
    const csv = join(tmp.dir, 'evil.csv');
    writeFileSync(csv, 'id,html\n1,<img src=x onerror=alert(1)>\n2,<script>alert(2)</script>\n3,"<a href=""http://example.invalid"">x</a>"\n');
    const evil = await profileDataset({ path: csv });
    copyFileSync(data('clean.csv'), join(tmp.dir, 'clean.csv'));
    const clean = await profileDataset({ path: join(tmp.dir, 'clean.csv') });
    for (const profile of [clean, evil]) {
      const html = renderProfileHtml(profile);
      const { page, requests, consoleErrors } = await openHtml(browser, html);
      expect(requests).toEqual([]);
      expect(consoleErrors).toEqual([]);
      const charts = await page.locator('section.column svg.chart').count();
      expect(charts).toBe(profile.columns.length);
      expect(await page.locator('h1').innerText()).toContain('Data profile');
      expect(await page.locator('script, img, a[href^="http"]').count()).toBe(0);
      await page.close();
    }
    const { page } = await openHtml(browser, renderProfileHtml(clean));
    expect(await page.locator('#col-country').innerText()).toContain('distinct');
    expect(await page.locator('table.summary tbody tr').count()).toBe(10);
    await page.close();
    expect(readFileSync(csv, 'utf8')).toContain('<script>'); // input untouched
  }, 60_000);
});
