import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ValueDetector } from '../../src/data/detect/index.js';
import { DATA_RULES, loadSuite, parseSuite, profileDataset, suggestFromProfile, validateDataset, type ExpectationSuite } from '../../src/data/index.js';
import { fixture, tempDir } from '../helpers.js';

const data = (f: string): string => fixture(`data/${f}`);
const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Test detectors written against the ValueDetector contract (part 2 ships the real ones). */
export const TEST_EMAIL: ValueDetector = {
  id: 'pii/email',
  ruleId: 'BW-PII-001',
  category: 'pii',
  prefilter: { pattern: '@', caseInsensitive: false },
  verify: (v) => ({ hit: /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(v) }),
  mask: (v) => v.replace(/^[^@]+/, '***'),
};
export const TEST_FORMULA: ValueDetector = {
  id: 'injection/formula',
  ruleId: 'BW-INJ-001',
  category: 'injection',
  prefilter: { pattern: '^[=+@-]', caseInsensitive: false },
  verify: (v) => ({ hit: /^[=+@-]/.test(v) && !/^[+-]?[0-9.]+$/.test(v), detail: 'formula' }),
  mask: (v) => `'${v}`,
};
const DETECTORS = [TEST_EMAIL, TEST_FORMULA];

function one(expectation: ExpectationSuite['expectations'][number]): ExpectationSuite {
  return { version: 1, expectations: [expectation] };
}

describe('validateDataset: expectation suite', () => {
  it('passes the clean dataset in every format with the same metrics', async () => {
    const suite = await loadSuite(data('clean-suite.yaml'));
    const results = await Promise.all(['clean.csv', 'clean.parquet', 'clean.jsonl'].map((f) => validateDataset({ path: data(f), suite, detectors: DETECTORS })));
    for (const r of results) {
      expect(r.errors).toEqual([]);
      expect(r.findings).toEqual([]);
      expect(r.complete).toBe(true);
      expect(r.kind).toBe('data');
      expect(r.schemaVersion).toBe(1);
      expect(r.subjects[0]?.digest.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.metrics).toMatchObject({ rows: 200, columns: 10, expectations_evaluated: 19, expectations_failed: 0, pii_values: 0, injection_values: 0 });
    }
  });

  it('finds every planted fault in broken.csv, with counts, fractions and masked samples', async () => {
    const suite = await loadSuite(data('clean-suite.yaml'));
    const r = await validateDataset({ path: data('broken.csv'), suite, detectors: DETECTORS });
    const byType = new Map(r.findings.map((f) => [String(f.evidence?.type), f]));
    expect([...byType.keys()].sort()).toEqual(['aggregate_between', 'between', 'compare', 'in_set', 'length_between', 'not_null', 'parseable', 'unique'].sort());
    expect(byType.get('between')).toMatchObject({ ruleId: 'BW-DAT-004', evidence: { unexpected_count: 2, samples: '-3 | 150' } });
    expect(byType.get('not_null')).toMatchObject({ ruleId: 'BW-DAT-003', evidence: { unexpected_count: 1, unexpected_fraction: 0.005 } });
    expect(byType.get('unique')).toMatchObject({ ruleId: 'BW-DAT-005', evidence: { unexpected_count: 2 } });
    expect(byType.get('compare')).toMatchObject({ ruleId: 'BW-DAT-007', evidence: { unexpected_count: 1 } });
    expect(byType.get('aggregate_between')).toMatchObject({ ruleId: 'BW-DAT-006', evidence: { observed: 5 } });
    // Text samples are masked to their shape: the raw value never reaches the report.
    const inSet = byType.get('in_set');
    expect(inSet?.evidence?.samples).toBe('AA');
    expect(JSON.stringify(r)).not.toContain('{not json');
    expect(r.metrics?.expectations_failed).toBe(9); // two parseable failures (meta JSON, signup date)
    expect(r.rules.map((x) => x.id)).toEqual(['BW-DAT-003', 'BW-DAT-004', 'BW-DAT-005', 'BW-DAT-006', 'BW-DAT-007']);
  });

  it('honours mostly: a tolerated fraction passes, a smaller one fails', async () => {
    const pass = await validateDataset({ path: data('broken.csv'), suite: one({ type: 'between', column: 'age', min: 18, max: 90, mostly: 0.98 }) });
    expect(pass.findings).toEqual([]);
    const fail = await validateDataset({ path: data('broken.csv'), suite: one({ type: 'between', column: 'age', min: 18, max: 90, mostly: 0.995 }) });
    expect(fail.findings[0]?.evidence).toMatchObject({ mostly: 0.995, unexpected_count: 2 });
  });

  it('BW-DAT-001: missing or mistyped columns are schema findings', async () => {
    const r = await validateDataset({
      path: data('clean.csv'),
      suite: { version: 1, expectations: [{ type: 'columns', columns: [{ name: 'id', kind: 'text' }, { name: 'nope' }], allow_extra: true }, { type: 'not_null', column: 'ghost' }] },
    });
    expect(r.findings.map((f) => f.ruleId)).toEqual(['BW-DAT-001', 'BW-DAT-001']);
    expect(r.findings.map((f) => f.message).join('\n')).toMatch(/missing column 'nope'.*\n?.*|column 'ghost' is missing/);
    const ok = await validateDataset({ path: data('clean.csv'), suite: one({ type: 'columns', columns: [{ name: 'id', kind: 'integer' }], allow_extra: true }) });
    expect(ok.findings).toEqual([]);
  });

  it('BW-DAT-002: row count outside the range', async () => {
    expect((await validateDataset({ path: data('clean.csv'), suite: one({ type: 'row_count', min: 500 }) })).findings[0]?.ruleId).toBe('BW-DAT-002');
    expect((await validateDataset({ path: data('clean.csv'), suite: one({ type: 'row_count', min: 200, max: 200 }) })).findings).toEqual([]);
  });

  it('BW-DAT-008: label balance', async () => {
    expect((await validateDataset({ path: data('clean.csv'), suite: one({ type: 'label_balance', column: 'country', max_ratio: 1.01 }) })).findings[0]?.ruleId).toBe('BW-DAT-008');
    expect((await validateDataset({ path: data('clean.csv'), suite: one({ type: 'label_balance', column: 'label', max_ratio: 1 }) })).findings).toEqual([]);
  });

  it('BW-DAT-009: read-only SQL expectation; writes, other files and several statements are refused', async () => {
    const sql = (query: string): ExpectationSuite => one({ type: 'sql', name: 'q', query });
    const bad = await validateDataset({ path: data('broken.csv'), suite: sql('SELECT * FROM dataset WHERE age > 100') });
    expect(bad.findings[0]).toMatchObject({ ruleId: 'BW-DAT-009', evidence: { unexpected_count: 1 } });
    expect((await validateDataset({ path: data('clean.csv'), suite: sql('WITH big AS (SELECT * FROM dataset WHERE age > 100) SELECT * FROM big') })).findings).toEqual([]);
    for (const q of ["COPY (SELECT 1) TO '/tmp/bw-pwned.csv'", 'SELECT 1; DROP TABLE x', "SELECT * FROM read_csv('/etc/passwd')", 'CREATE TABLE t AS SELECT 1', 'DELETE FROM dataset']) {
      const r = await validateDataset({ path: data('clean.csv'), suite: sql(q) });
      expect(r.findings, q).toEqual([]);
      expect(r.errors[0]?.code, q).toBe('CONFIG_INVALID');
      expect(r.complete).toBe(false);
    }
  });

  it('lists every DATA rule with a well-formed id', () => {
    for (const rule of DATA_RULES) expect(rule.id).toMatch(/^BW-DAT-\d{3}$/);
    expect(new Set(DATA_RULES.map((r) => r.id)).size).toBe(DATA_RULES.length);
  });
});

describe('validateDataset: detectors, oversized values, poisoning', () => {
  it('finds prefilter candidates in one query per column and verifies DISTINCT candidates in JS', async () => {
    const r = await validateDataset({ path: data('values.csv'), detectors: DETECTORS, extraRules: [] });
    const email = r.findings.find((f) => f.evidence?.detector === 'pii/email');
    // 10 planted e-mails + one repeat of user0@example.com: 11 rows, 10 distinct values
    expect(email?.evidence).toMatchObject({ column: 'contact', values: 11, distinct_values: 10 });
    expect(String(email?.evidence?.samples)).toContain('***@example.com');
    expect(JSON.stringify(r)).not.toContain('user10@example.com');
    const formula = r.findings.find((f) => f.evidence?.detector === 'injection/formula');
    expect(formula?.evidence).toMatchObject({ column: 'comment', values: 4 }); // -3.2 is a number, not flagged
    expect(r.metrics).toMatchObject({ pii_values: 11, pii_rate: 0.108911, injection_values: 4, injection_rate: 0.039604 });
  });

  it('matches a low-cardinality column per distinct value and a high-cardinality one per row, with the same answers', async () => {
    const file = join(tmp.dir, 'cardinality.csv');
    const kinds = ['ops@example.com', '=cmd|calc', 'plain'];
    const lines = ['kind,free'];
    for (let i = 0; i < 3000; i++) lines.push(`${kinds[i % 3] ?? ''},${i % 3 === 2 ? `row ${i}` : `${i}${kinds[i % 3] ?? ''}`}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await validateDataset({ path: file, detectors: DETECTORS });
    const byCol = (col: string, det: string): unknown => r.findings.find((f) => f.evidence?.column === col && f.evidence.detector === det)?.evidence;
    expect(byCol('kind', 'pii/email')).toMatchObject({ values: 1000, distinct_values: 1 });
    expect(byCol('kind', 'injection/formula')).toMatchObject({ values: 1000, distinct_values: 1 });
    expect(byCol('free', 'pii/email')).toMatchObject({ values: 1000, distinct_values: 1000 });
    expect(byCol('free', 'injection/formula')).toBeUndefined(); // '0=cmd|calc' does not start with '='
    expect(r.metrics).toMatchObject({ pii_values: 2000, injection_values: 1000 });
  });

  it('reuses a profile of the same bytes (digest-checked) instead of re-scanning what it answers exactly', async () => {
    const profile = await profileDataset({ path: data('clean.csv') });
    const suite = suggestFromProfile(profile);
    const plain = await validateDataset({ path: data('clean.csv'), suite, detectors: DETECTORS });
    const reused = await validateDataset({ path: data('clean.csv'), suite, detectors: DETECTORS, profile });
    expect(reused.findings).toEqual(plain.findings);
    expect(plain.metrics?.metrics_from_profile).toBe(0);
    expect(reused.metrics?.metrics_from_profile).toBeGreaterThan(10);
    expect(reused.metrics?.queries).toBeLessThan(plain.metrics?.queries ?? 0);
    // Another file's profile is not trusted: the broken copy is scanned in full and still fails.
    const broken = await validateDataset({ path: data('broken.csv'), suite, detectors: DETECTORS });
    const withOther = await validateDataset({ path: data('broken.csv'), suite, detectors: DETECTORS, profile });
    expect(withOther.findings).toEqual(broken.findings);
    expect(withOther.findings.length).toBeGreaterThan(0);
    expect(withOther.metrics?.metrics_from_profile).toBe(0);
  });

  it('reports nothing on columns without candidates (clean text)', async () => {
    const r = await validateDataset({ path: data('clean.csv'), detectors: DETECTORS });
    expect(r.findings).toEqual([]);
    expect(r.metrics?.candidate_values_verified).toBe(0);
  });

  it('estimates beyond the distinct-candidate cap and says so', async () => {
    const r = await validateDataset({ path: data('values.csv'), detectors: [TEST_EMAIL], limits: { maxCandidates: 3 } });
    const f = r.findings[0];
    expect(f?.evidence?.estimated).toBe(true);
    expect(f?.message).toMatch(/estimate/);
  });

  it('BW-DAT-010: oversized text cells', async () => {
    const r = await validateDataset({ path: data('broken.csv'), limits: { oversizedChars: 200 } });
    expect(r.findings.map((f) => f.ruleId)).toEqual(['BW-DAT-010']);
    expect(r.findings[0]?.evidence).toMatchObject({ column: 'name', count: 1, max_length: 300 });
    expect((await validateDataset({ path: data('clean.csv'), limits: { oversizedChars: 200 } })).findings).toEqual([]);
  });

  it('hands labelled rows to the poisoning analysis and turns suspicions into findings', async () => {
    let seen: { rows: number; numeric: string[]; categorical: string[]; text: string[]; first: number } | undefined;
    const r = await validateDataset({
      path: data('clean.csv'),
      label: 'label',
      poison: (input) => {
        seen = { rows: input.rowIds.length, numeric: input.numeric.map((n) => n.name), categorical: input.categorical.map((c) => c.name), text: input.text.map((t) => t.name), first: input.numeric[0]?.values[0] ?? -1 };
        return { suspicions: [{ ruleId: 'BW-DAT-008', kind: 'test', score: 0.9, rowIds: [3, 7], message: 'rows 3 and 7 look odd', evidence: { k: 1 } }], metrics: { knn_checked: input.rowIds.length } };
      },
    });
    expect(seen).toEqual({ rows: 200, numeric: ['id', 'age', 'income', 'start', 'end'], categorical: ['country', 'meta'], text: ['name'], first: 1 });
    expect(r.metrics).toMatchObject({ poison_suspicions: 1, poison_knn_checked: 200 });
    expect(r.findings[0]).toMatchObject({ message: 'rows 3 and 7 look odd', location: { pointer: '/rows/3' }, evidence: { rows: '3,7' } });
  });

  it('skips poisoning (and says so) when no analysis is built in; a wrong label is a usage error', async () => {
    const r = await validateDataset({ path: data('clean.csv'), label: 'label', poison: undefined });
    expect(r.skipped[0]?.reason).toMatch(/poisoning/);
    await expect(validateDataset({ path: data('clean.csv'), label: 'nope' })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('validateDataset: malformed input is a report error naming the file and line', () => {
  it.each([
    ['ragged.csv', /ragged\.csv.*(Line: 3|line 3)/i],
    ['bad-encoding.csv', /bad-encoding\.csv.*Line: 3.*utf-8/i],
    ['mixed-types.csv', /mixed-types\.csv.*Line: 25002.*twelve/i],
    ['truncated.parquet', /truncated\.parquet.*magic bytes/i],
    ['empty.csv', /empty\.csv.*empty/i],
  ])('%s', async (file, message) => {
    const r = await validateDataset({ path: data(file) });
    expect(r.complete).toBe(false);
    expect(r.findings).toEqual([]);
    expect(r.errors[0]?.code).toBe('PARSE_ERROR');
    expect(r.errors[0]?.message).toMatch(message);
    expect(r.errors[0]?.message).not.toMatch(/\n|at .*\.js/);
  });

  it('a missing file is FILE_NOT_FOUND; an unknown extension UNSUPPORTED', async () => {
    expect((await validateDataset({ path: data('nope.csv') })).errors[0]?.code).toBe('FILE_NOT_FOUND');
    const odd = join(tmp.dir, 'x.bin');
    writeFileSync(odd, 'a,b\n1,2\n');
    expect((await validateDataset({ path: odd })).errors[0]?.code).toBe('UNSUPPORTED');
  });

  it('is deterministic', async () => {
    const suite = await loadSuite(data('clean-suite.yaml'));
    const copy = join(tmp.dir, 'broken.csv');
    copyFileSync(data('broken.csv'), copy);
    const a = await validateDataset({ path: copy, suite, detectors: DETECTORS });
    const b = await validateDataset({ path: copy, suite, detectors: DETECTORS });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe('suite files', () => {
  it('names the file, line and field of an invalid suite', () => {
    expect(() => parseSuite('version: 1\nexpectations:\n  - type: between\n    column: a\n    mostly: 2\n', 's.yaml')).toThrow(/s\.yaml:5: invalid expectation suite at expectations\[0\]\.mostly/);
    expect(() => parseSuite('version: 1\nexpectations:\n  - type: no_such_thing\n', 's.yaml')).toThrow(/s\.yaml:3: .*expectations\[0\]\.type.*expected one of: columns/);
    expect(() => parseSuite('version: 1\nexpectations:\n  - type: not_null\n    column: a\n    colour: red\n', 's.yaml')).toThrow(/unknown field 'colour'/);
    expect(() => parseSuite('version: 1\nexpectations: [\n', 's.yaml')).toThrow(/s\.yaml:\d+:\d+: not valid YAML/);
    // An alias with no anchor is the file's error (CONFIG_INVALID), never an internal ReferenceError.
    for (const bad of ['*!', 'version: 1\nexpectations: *nope\n']) {
      let caught: unknown;
      try {
        parseSuite(bad, 's.yaml');
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ code: 'CONFIG_INVALID' });
      expect((caught as Error).message).toMatch(/^s\.yaml: not valid YAML/);
    }
    try {
      parseSuite('version: 2\nexpectations: []\n', 's.yaml');
    } catch (err) {
      expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
    }
  });
});
