import { describe, expect, it } from 'vitest';
import { DUCKDB_DIALECT, postgresDialect } from '../../src/data/dialect.js';
import { binIndexOf, compileGroupQuery, compileScan, quantilesFromBins, readBinCounts, readScanRow, type ScanMetric } from '../../src/data/plan.js';
import { planExpectation } from '../../src/data/expectations.js';
import type { ColumnInfo } from '../../src/data/source.js';
import { wrapDatasetCte } from '../../src/data/source.js';

const duck = { sql: 'read_parquet($1)', params: ['/data/x.parquet'] };
const pgRel = { sql: '"public"."t"', params: [] };

describe('metric plan compiler', () => {
  it('fuses N checks into ONE aggregate query, deduplicating shared metrics', () => {
    const cols: ColumnInfo[] = [
      { name: 'age', type: 'BIGINT', kind: 'integer' },
      { name: 'country', type: 'VARCHAR', kind: 'text' },
    ];
    const planned = [
      planExpectation({ type: 'not_null', column: 'age' }, cols),
      planExpectation({ type: 'between', column: 'age', min: 0, max: 120 }, cols),
      planExpectation({ type: 'in_set', column: 'country', values: ['US', 'DE'] }, cols),
      planExpectation({ type: 'regex', column: 'country', pattern: '^[A-Z]{2}$' }, cols),
      planExpectation({ type: 'aggregate_between', column: 'age', stat: 'mean', min: 1, max: 99 }, cols),
    ];
    const scan = compileScan(planned.flatMap((p) => p.metrics), DUCKDB_DIALECT, duck);
    expect(scan.sql.match(/\bFROM\b/g)).toHaveLength(1); // one scan
    expect(scan.sql.match(/read_parquet/g)).toHaveLength(1);
    // rowCount and nonNull(age) asked twice are computed once
    expect(scan.metrics.filter((m) => m.kind === 'nonNull' && m.column === 'age')).toHaveLength(1);
    expect(scan.metrics.length).toBeLessThan(planned.flatMap((p) => p.metrics).length);
  });

  it('binds values as parameters after the relation\'s own and quotes identifiers', () => {
    const metrics: ScanMetric[] = [
      { kind: 'countIf', predicate: { op: 'notInSet', column: 'c"; DROP TABLE x; --', values: ["it's", 'b'] } },
      { kind: 'countIf', predicate: { op: 'regex', column: 'name', pattern: "' OR 1=1 --", caseInsensitive: true, negate: false } },
      { kind: 'countIf', predicate: { op: 'outside', column: 'n', min: 1, max: 2 } },
    ];
    const scan = compileScan(metrics, DUCKDB_DIALECT, duck);
    expect(scan.params).toEqual(['/data/x.parquet', "it's", 'b', "' OR 1=1 --", 1, 2]);
    expect(scan.sql).toContain('"c""; DROP TABLE x; --"');
    expect(scan.sql).not.toContain("it's");
    expect(scan.sql).not.toContain('OR 1=1');
    expect(scan.sql).toContain("regexp_matches(CAST(\"name\" AS VARCHAR), $4, 'i')");
    expect(scan.sql).toContain('count(*) FILTER (WHERE');
  });

  it('compiles the same plan to PostgreSQL spellings', () => {
    const pg = postgresDialect(150000);
    const metrics: ScanMetric[] = [
      { kind: 'quantile', column: 'x', q: 0.5 },
      { kind: 'countIf', predicate: { op: 'regex', column: 's', pattern: 'a+', caseInsensitive: true, negate: true } },
      { kind: 'countIf', predicate: { op: 'notParseable', column: 's', as: 'number' } },
      { kind: 'minLength', column: 's' },
      { kind: 'distinct', column: 's', approx: true },
    ];
    const scan = compileScan(metrics, pg, pgRel);
    expect(scan.sql).toContain('percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST("x" AS DOUBLE PRECISION))');
    expect(scan.sql).toContain('(NOT (CAST("s" AS TEXT) ~* $1))');
    expect(scan.sql).toContain('char_length(CAST("s" AS TEXT))');
    expect(scan.sql).toContain('count(DISTINCT "s")'); // no sketch on PostgreSQL: exact
    expect(scan.sql).toContain('FROM "public"."t"');
    expect(() => pg.notParseable('x', 'json')).toThrow(/PostgreSQL 16/);
    expect(postgresDialect(160000).notParseable('x', 'number')).toContain('pg_input_is_valid');
    const duckScan = compileScan(metrics, DUCKDB_DIALECT, duck);
    expect(duckScan.sql).toContain('approx_quantile(CAST("x" AS DOUBLE), 0.5)');
    expect(duckScan.sql).toContain('TRY_CAST(CAST("s" AS VARCHAR) AS DOUBLE) IS NULL');
  });

  it('compiles bounded group-by and sample queries', () => {
    const top = compileGroupQuery({ kind: 'topValues', column: 'c', limit: 10 }, DUCKDB_DIALECT, duck);
    expect(top.sql).toMatch(/GROUP BY 1\) AS gk\) AS g ORDER BY n DESC, v LIMIT 10$/);
    expect(top.sql).toContain('SELECT CAST(k AS VARCHAR) AS v, n FROM (SELECT "c" AS k, count(*) AS n'); // cast per group, not per row
    expect(top.sql).toContain('count(*) OVER () AS groups');
    const cand = compileGroupQuery({ kind: 'candidateValues', column: 'c', patterns: [{ pattern: '@', caseInsensitive: false }], limit: 100, distinctFirst: false }, postgresDialect(), pgRel);
    expect(cand.sql).toContain('LIMIT 101');
    expect(cand.params).toEqual(['@']);
    const dup = compileGroupQuery({ kind: 'duplicateKeys', columns: ['a', 'b'] }, DUCKDB_DIALECT, duck);
    expect(dup.sql).toContain('GROUP BY "a", "b" HAVING count(*) > 1');
    expect(() => compileScan([{ kind: 'quantile', column: 'x', q: Number.NaN }], DUCKDB_DIALECT, duck)).toThrow(/finite/);
  });

  it('compiles list-valued quantiles and a one-pass histogram where the dialect has one', () => {
    const q = compileScan([{ kind: 'quantiles', column: 'x', qs: [0.25, 0.75] }], postgresDialect(), pgRel);
    expect(q.sql).toContain('percentile_cont(ARRAY[0.25, 0.75]::double precision[]) WITHIN GROUP (ORDER BY CAST("x" AS DOUBLE PRECISION))');
    const h = compileScan([{ kind: 'histogram', column: 'x', lo: 0, width: 2.5, n: 4 }], DUCKDB_DIALECT, duck);
    expect(h.sql).toContain('histogram(CAST(CASE WHEN CAST("x" AS DOUBLE) IS NOT NULL THEN greatest(least(floor((CAST("x" AS DOUBLE) - CAST($2 AS DOUBLE)) / CAST($3 AS DOUBLE)), 3), 0) END AS INTEGER))');
    expect(() => compileScan([{ kind: 'histogram', column: 'x', lo: 0, width: 1, n: 2 }], postgresDialect(), pgRel)).toThrow(/no histogram/);
    const r = readScanRow(h, { m0: { entries: [{ key: 0, value: 3n }, { key: 3, value: 1n }] } });
    expect(r.list({ kind: 'histogram', column: 'x', lo: 0, width: 2.5, n: 4 })).toEqual([3, 0, 0, 1]);
  });

  it('reads a result row back by metric, whatever the key order', () => {
    const scan = compileScan([{ kind: 'rowCount' }, { kind: 'distinct', column: 'a', approx: false }], DUCKDB_DIALECT, duck);
    const r = readScanRow(scan, { m0: 10n, m1: '3' });
    expect(r.get({ kind: 'rowCount' })).toBe(10);
    expect(r.get({ approx: false, column: 'a', kind: 'distinct' })).toBe(3);
    expect(() => r.get({ kind: 'nonNull', column: 'zz' })).toThrow(/not in the plan/);
  });

  it('puts the dataset CTE in front of a user SELECT, merging WITH lists', () => {
    expect(wrapDatasetCte('SELECT 1;', 'T')).toBe('WITH dataset AS (SELECT * FROM T) SELECT 1');
    expect(wrapDatasetCte('with x as (select 1) select * from x', 'T')).toBe('WITH dataset AS (SELECT * FROM T), x as (select 1) select * from x');
  });

  it('compiles the bin counts of several columns into ONE grouping-sets scan (one key per set) and reads them back', () => {
    const specs = [
      { column: 'x', lo: 0, width: 2, n: 8, split: 4 },
      { column: 'y', lo: 1, width: 1, n: 3, split: 1 },
    ];
    const q = compileGroupQuery({ kind: 'binCounts', specs }, DUCKDB_DIALECT, duck);
    expect(q.sql).toContain('GROUP BY GROUPING SETS ((f0), (f1))');
    expect(q.sql).toContain('CASE WHEN grouping(f0) = 0 THEN 0 WHEN grouping(f1) = 0 THEN 1 END AS k');
    // floor((x - lo) * split / width): x's scale is 4 / 2 = 2 fine bins per unit, y's 1 / 1.
    expect(q.sql).toContain('TRY_CAST(floor((CAST("x" AS DOUBLE) - CAST($2 AS DOUBLE)) * CAST($3 AS DOUBLE)) AS BIGINT) AS f0');
    expect(q.sql).toContain('TRY_CAST(floor((CAST("y" AS DOUBLE) - CAST($4 AS DOUBLE)) * CAST($5 AS DOUBLE)) AS BIGINT) AS f1');
    expect(q.sql.match(/read_parquet/g)).toHaveLength(1);
    expect(q.params).toEqual(['/data/x.parquet', 0, 2, 1, 1]);
    const rows = [
      { k: 0, f0: 1, n: 2n },
      { k: 0, f0: 7, n: 1n },
      { k: 0, f0: 8, n: 3n }, // the maximum itself (x = lo + n / scale): clamped into the last bin
      { k: 0, f0: null, n: 5n }, // nulls: not binned
      { k: 1, f1: 2, n: 4n },
      { k: 1, f1: -1, n: 1n }, // just below a rounded minimum: the first bin
    ];
    expect(readBinCounts(specs, rows)).toEqual([
      [0, 2, 0, 0, 0, 0, 0, 4],
      [1, 0, 4],
    ]);
    expect(binIndexOf(specs[0] as (typeof specs)[0], 4)).toBe(7);
    expect(binIndexOf(specs[0] as (typeof specs)[0], 0.49)).toBe(0);
    expect(binIndexOf(specs[0] as (typeof specs)[0], 0.5)).toBe(1);
    expect(() => compileGroupQuery({ kind: 'binCounts', specs: [] }, DUCKDB_DIALECT, duck)).toThrow(/at least one/);
  });

  it('compiles the candidate query per row or per distinct value, and the cardinality hint', () => {
    const patterns = [{ pattern: '@', caseInsensitive: false }, { pattern: '<script', caseInsensitive: true }];
    const rows = compileGroupQuery({ kind: 'candidateValues', column: 'c', patterns, limit: 10, distinctFirst: false }, DUCKDB_DIALECT, duck);
    expect(rows.sql).toContain(`AND (regexp_matches(CAST("c" AS VARCHAR), $2) OR regexp_matches(CAST("c" AS VARCHAR), $3, 'i')) GROUP BY 1`);
    expect(rows.sql).toContain('sum(n) OVER () AS total');
    expect(rows.sql).toMatch(/LIMIT 11$/);
    const distinct = compileGroupQuery({ kind: 'candidateValues', column: 'c', patterns, limit: 10, distinctFirst: true }, postgresDialect(), pgRel);
    expect(distinct.sql).toContain('GROUP BY 1) AS g WHERE (v ~ $1) OR (v ~* $2) ORDER BY n DESC, v');
    expect(distinct.params).toEqual(['@', '<script']);
    const mono = compileGroupQuery({ kind: 'strictlyIncreasing', column: 'id' }, postgresDialect(), pgRel);
    expect(mono.sql).toBe('SELECT count(*) FILTER (WHERE NOT (x > p)) AS bad, count(*) AS n FROM (SELECT "id" AS x, lag("id") OVER () AS p FROM "public"."t" AS t WHERE "id" IS NOT NULL) AS w');
    const hint = compileGroupQuery({ kind: 'prefixDistinct', columns: ['a', 'b'], rows: 100 }, DUCKDB_DIALECT, duck);
    expect(hint.sql).toContain('LIMIT 100) AS s');
    expect(hint.sql).toContain('count(DISTINCT CAST("p1" AS VARCHAR)) AS "d1"');
  });

  it('estimates continuous quantiles from fine bins: exact on width-1 integer bins, within one bin width otherwise', () => {
    // Values 10, 11, 11, 13 in width-1 bins from 10: quantile_cont(0.5) = 11, (0.75) = 11.5, (0) = 10, (1) = 13.
    expect(quantilesFromBins([1, 2, 0, 1], { lo: 10, width: 1, n: 4 }, { min: 10, max: 13 }, [0, 0.5, 0.75, 1], true)).toEqual([10, 11, 11.5, 13]);
    const values = Array.from({ length: 1001 }, (_, i) => (i * 7919) % 1001 / 10).sort((a, b) => a - b);
    const n = 64;
    const width = 100 / n;
    const counts = Array.from({ length: n }, () => 0);
    for (const v of values) counts[Math.min(n - 1, Math.floor(v / width))]! += 1;
    const qs = [0.05, 0.25, 0.5, 0.75, 0.95];
    const est = quantilesFromBins(counts, { lo: 0, width, n }, { min: 0, max: 100 }, qs, false);
    qs.forEach((q, i) => expect(Math.abs((est[i] ?? Number.NaN) - (values[Math.round(q * 1000)] ?? 0))).toBeLessThan(width));
    expect(quantilesFromBins([0, 0], { lo: 0, width: 1, n: 2 }, { min: 0, max: 1 }, qs, false)).toEqual([]);
  });
});
