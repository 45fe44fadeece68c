/**
 * The dataset handle (openDataset) and what it shares: a text column's census serves the profile and
 * the detectors; numeric columns of modest cardinality are profiled from their value counts.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL_DETECTOR } from '../../src/data/detect/index.js';
import { openDataset, openDuckDb, profileDataset, suggestFromProfile, validateDataset, datasetReaderSql } from '../../src/data/index.js';
import { countContiguous, momentsOf, parsesAsJson } from '../../src/data/profile.js';
import { chao1 } from '../../src/data/census.js';
import type { Report } from '../../src/report/types.js';
import { tempDir } from '../helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** 3,000 rows: a text column of 60 distinct values with planted e-mails and a formula, a free-text column, numbers. */
function writeCsv(): string {
  const file = join(tmp.dir, 'shared.csv');
  const lines = ['id,city,contact,score,bucket'];
  for (let i = 0; i < 3000; i++) {
    const contact = i % 500 === 0 ? `user${i}@example.com` : i % 777 === 0 ? '=cmd|\' /C calc\'!A0' : `desk ${i % 57}`;
    lines.push(`${i},city-${i % 60},"${contact.replaceAll('"', '""')}",${((i * 7919) % 1000) / 10},${i % 7}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const strip = (r: Report): unknown => ({
  findings: r.findings.map((f) => ({ ruleId: f.ruleId, message: f.message, evidence: f.evidence })),
  pii: r.metrics?.pii_values,
  injection: r.metrics?.injection_values,
  errors: r.errors,
  subjects: r.subjects,
});

describe('openDataset', () => {
  let csv: string;
  beforeAll(() => {
    csv = writeCsv();
  });

  it('profiles and validates through one session: the same profile and findings as the separate calls, and no detector query of its own', async () => {
    const alone = await profileDataset({ path: csv });
    const suite = suggestFromProfile(alone);
    const separate = await validateDataset({ path: csv, suite, profile: alone });
    const ds = await openDataset({ path: csv });
    try {
      const profile = await ds.profile();
      expect(profile).toEqual(alone);
      const report = await ds.validate({ suite });
      expect(strip(report)).toEqual(strip(separate));
      expect(report.findings.map((f) => f.ruleId).sort()).toEqual(['BW-INJ-001', 'BW-PII-001']);
      // The separate run queried each of the two text columns for candidates; the handle's censuses
      // held them (both runs still scan once for the numeric set check the profile cannot answer).
      expect(report.metrics?.queries).toBe(1);
      expect(separate.metrics?.queries).toBe(3);
      // A validation without the handle's profile still reads the censuses (same session, same bytes).
      const again = await ds.validate({});
      expect(again.findings.map((f) => f.ruleId).sort()).toEqual(['BW-INJ-001', 'BW-PII-001']);
    } finally {
      await ds.close();
    }
    await expect(ds.profile()).rejects.toThrow(/closed/);
  });

  it('fetches the candidates of its own detectors only', async () => {
    const ds = await openDataset({ path: csv, detectors: [EMAIL_DETECTOR] });
    try {
      await ds.profile();
      const report = await ds.validate();
      expect(report.findings.map((f) => f.ruleId)).toEqual(['BW-PII-001']);
      expect(report.findings[0]?.evidence).toMatchObject({ column: 'contact', values: 6 });
    } finally {
      await ds.close();
    }
  });

  it('validates without a profile as validateDataset does', async () => {
    const ds = await openDataset({ path: csv });
    try {
      expect(strip(await ds.validate())).toEqual(strip(await validateDataset({ path: csv })));
    } finally {
      await ds.close();
    }
  });

  it('throws naming the file when it cannot be read', async () => {
    await expect(openDataset({ path: join(tmp.dir, 'missing.csv') })).rejects.toMatchObject({ message: expect.stringContaining('missing.csv') as string });
  });
});

describe('profile plans that rest on the head of the table (Parquet: row count from the metadata)', () => {
  let file: string;
  beforeAll(async () => {
    file = join(tmp.dir, 'head.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    // 30,000 rows: `few` repeats 40 values in its head but takes a new value on every row after it
    // (the head promises a value-count profile the group-by then refuses); `word` has 300 values.
    await c.run(`COPY (SELECT range AS id, CASE WHEN range < 10000 THEN range % 40 ELSE range END AS few, (range * 7) % 113 AS small,
      'w' || CAST((range * 31) % 300 AS VARCHAR) AS word, 'free text ' || CAST(range AS VARCHAR) AS note FROM range(30000)) TO '${file.replaceAll("'", "''")}' (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
  });

  it('gives exact distinct counts, lengths and top values of censused text columns, and the scan statistics of counted numeric columns', async () => {
    const p = await profileDataset({ path: file, exactQuantileRows: 1000, topValuesMaxDistinct: 100 });
    const db = await openDuckDb({ readPaths: [resolve(file)] });
    try {
      const [truth] = await db.query(
        `SELECT count(DISTINCT word) AS dw, min(length(word)) AS minw, max(length(word)) AS maxw, count(DISTINCT few) AS df, min(few) AS fmin, max(few) AS fmax, avg(few) AS fmean, stddev_samp(few) AS fstd,
          avg(small) AS smean, stddev_samp(small) AS sstd FROM ${datasetReaderSql('parquet', 1)}`,
        [resolve(file)],
      );
      const by = (n: string): (typeof p.columns)[number] | undefined => p.columns.find((c) => c.name === n);
      expect(by('word')).toMatchObject({ distinct: Number(truth?.dw), distinctApprox: false, minLength: Number(truth?.minw), maxLength: Number(truth?.maxw), unique: false });
      // 300 distinct values: above topValuesMaxDistinct, so no top values, as before the census.
      expect(by('word')?.top).toBeUndefined();
      // Every value distinct: the head promises no census; sketched, then proved unique by a group-by.
      expect(by('note')).toMatchObject({ distinct: 30000, distinctApprox: false, unique: true });
      expect(by('note')?.top).toBeUndefined();
      const small = by('small');
      expect(small).toMatchObject({ distinct: 113, distinctApprox: false, min: 0, max: 112 });
      expect(Math.abs((small?.mean ?? 0) - Number(truth?.smean))).toBeLessThan(1e-9);
      expect(Math.abs((small?.std ?? 0) - Number(truth?.sstd))).toBeLessThan(1e-9);
      expect(small?.histogram?.counts.reduce((a, b) => a + b, 0)).toBe(30000);
      // The broken promise: profiled by the scan after all, with the scan's numbers.
      const few = by('few');
      expect(few).toMatchObject({ min: Number(truth?.fmin), max: Number(truth?.fmax) });
      expect(Math.abs((few?.mean ?? 0) - Number(truth?.fmean)) / Number(truth?.fmean)).toBeLessThan(1e-9);
      expect(Math.abs((few?.std ?? 0) - Number(truth?.fstd)) / Number(truth?.fstd)).toBeLessThan(1e-9);
      // Its exact distinct count from the top-values group-by it gets (few distinct in the head: no sketch).
      expect(few).toMatchObject({ distinct: Number(truth?.df), distinctApprox: false });
      expect(by('id')).toMatchObject({ unique: true, distinct: 30000, distinctApprox: false });
    } finally {
      db.close();
    }
  });
});

describe('non-finite floats on Parquet (counts and min/max from the footer)', () => {
  it('a NaN or an infinity leaves the max, mean and deviation unknown and no histogram (the profile used to fail on them: DuckDB\'s stddev_samp raised); other columns are unaffected', async () => {
    const file = join(tmp.dir, 'nan.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(`COPY (SELECT CASE WHEN range = 777 THEN 'NaN'::DOUBLE ELSE range / 10.0 END AS with_nan, CASE WHEN range = 5 THEN 'Infinity'::DOUBLE ELSE range * 1.5 END AS with_inf,
      range * 0.25 AS plain FROM range(20000)) TO '${file.replaceAll("'", "''")}' (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
    const p = await profileDataset({ path: file, exactQuantileRows: 1000 });
    const by = (n: string): (typeof p.columns)[number] | undefined => p.columns.find((x) => x.name === n);
    expect(by('with_nan')).toMatchObject({ min: 0, nulls: 0 });
    expect(by('with_nan')?.max).toBeUndefined();
    expect(by('with_nan')?.mean).toBeUndefined();
    expect(by('with_nan')?.std).toBeUndefined();
    expect(by('with_inf')).toMatchObject({ min: 0 });
    expect(by('with_inf')?.std).toBeUndefined();
    expect(by('with_nan')?.histogram).toBeUndefined();
    expect(by('with_inf')?.max).toBeUndefined();
    expect(by('with_inf')?.histogram).toBeUndefined();
    expect(by('plain')).toMatchObject({ min: 0, max: 4999.75 });
    expect(by('plain')?.histogram?.counts.reduce((a, b) => a + b, 0)).toBe(20000);
  });
});

describe('profile arithmetic', () => {
  it('countContiguous counts the integers of each bin as a loop over them does', () => {
    for (const [lo, hi, scale, n] of [
      [0, 999, 0.02, 20],
      [-17, 4003, 0.0049, 20],
      [5, 5, 1, 1],
      [1, 100, 0.35, 35],
    ] as const) {
      const binOf = (x: number): number => Math.max(0, Math.min(n - 1, Math.floor((x - lo) * scale)));
      const loop = Array.from({ length: n }, () => 0);
      for (let x = lo; x <= hi; x++) loop[binOf(x)] = (loop[binOf(x)] ?? 0) + 1;
      expect(countContiguous(lo, hi, binOf, n)).toEqual(loop);
    }
  });

  it('momentsOf: mean and sample deviation of counted values, null where undefined', () => {
    const m = momentsOf([
      { x: 1, n: 2 },
      { x: 4, n: 1 },
      { x: 10, n: 1 },
    ]);
    // 1, 1, 4, 10: mean 4, squared deviations 9 + 9 + 0 + 36 = 54, over 3.
    expect(m.mean).toBe(4);
    expect(m.std).toBeCloseTo(Math.sqrt(18), 12);
    expect(momentsOf([{ x: 3, n: 1 }])).toEqual({ mean: 3, std: null });
    expect(momentsOf([])).toEqual({ mean: null, std: null });
    // Far from zero with a small spread: the two-pass deviation keeps its digits.
    const far = momentsOf([
      { x: 1e9 + 1, n: 1 },
      { x: 1e9 + 2, n: 1 },
      { x: 1e9 + 3, n: 1 },
    ]);
    expect(far).toEqual({ mean: 1e9 + 2, std: 1 });
  });

  it('parsesAsJson agrees with JSON.parse', () => {
    const cases = ['{"a": 1}', ' [1, 2]', '"x"', '-3.5e2', '12', 'true', ' false ', 'null', 'nul', 'trueish', 'order 12 shipped', '', '   ', '{', '01', "'x'", '\ttrue\n', 'NaN', '[1,]', 'fjord 42'];
    for (const v of cases) {
      let reference = true;
      try {
        JSON.parse(v);
      } catch {
        reference = false;
      }
      expect(parsesAsJson(v), JSON.stringify(v)).toBe(reference);
    }
  });

  it('chao1 extrapolates the distinct count of a uniform head and stays at d when nothing repeats once', () => {
    // 10,000 draws from 1M equally likely values: about 9,950 distinct, 9,900 once and 49 twice.
    expect(chao1(9950, 9900, 49)).toBeGreaterThan(900_000);
    expect(chao1(40, 0, 0)).toBe(40);
  });
});
