/**
 * `profileDataset`: per column type, nulls, distinct count, numeric statistics, quantiles, text
 * lengths, parseability, top values and a histogram. A look at the head of the table plans the rest
 * (docs/data.md): one group-by per column of modest cardinality (value counts of numbers, the census
 * of text, src/data/census.ts), one fused scan of the other columns' aggregates (on Parquet, counts
 * and min/max apart, from the footer), then one scan of fine histogram bins once min/max are known.
 */
import { basename } from 'node:path';
import { escapeHtml, renderBarChartSvg, renderHtmlPage } from '../report/html.js';
import { binIndexOf, compileGroupQuery, compileScan, continuousQuantiles, metricKey, quantilesFromBins, quantilesFromValueCounts, readBinCounts, readScanRow, toNumber, type BinCountSpec, type Binning, type ScanMetric, type ScanResults } from './plan.js';
import { isNumericKind, openSubjectSession, type ColumnKind, type DataSession, type DatasetSubject, type DataSource } from './source.js';
import { chao1, DISTINCT_FIRST_RATIO, takeTextCensus, type CandidatePattern, type CensusStore, type TextCensus } from './census.js';

/** Quantiles every numeric column gets. */
export const PROFILE_QUANTILES: readonly number[] = [0.05, 0.25, 0.5, 0.75, 0.95];

/** Options of {@link profileDataset}. */
export interface ProfileDatasetOptions {
  readonly path: string;
  readonly source?: DataSource;
  /** Most frequent values listed per column. */
  readonly topValues?: number;
  /** Histogram bins per numeric column. */
  readonly bins?: number;
  /** Top values are fetched only for columns with at most this many distinct values (a group-by each). */
  readonly topValuesMaxDistinct?: number;
  /**
   * Quantiles are exact (a sort per column) up to this many rows; above it, on DuckDB, they are read
   * from {@link ProfileDatasetOptions.quantileBins} equal-width bins counted in the histogram scan
   * (error under (max - min) / quantileBins; exact for integer columns spanning at most that many values).
   */
  readonly exactQuantileRows?: number;
  /** Fine bins per numeric column for binned quantiles. */
  readonly quantileBins?: number;
  readonly signal?: AbortSignal;
}

/** Defaults of {@link ProfileDatasetOptions}. */
export const DEFAULT_PROFILE_OPTIONS = { topValues: 20, bins: 20, topValuesMaxDistinct: 100_000, exactQuantileRows: 100_000, quantileBins: 4096 } as const;

/** One column's profile. */
export interface ColumnProfile {
  name: string;
  type: string;
  kind: ColumnKind;
  nulls: number;
  nullFraction: number;
  /** Distinct non-null values: exact unless `distinctApprox` (a HyperLogLog estimate for high cardinalities on DuckDB). */
  distinct: number;
  distinctApprox: boolean;
  /** Every row has a value and no value repeats (checked exactly). */
  unique?: boolean;
  min?: number;
  max?: number;
  mean?: number;
  std?: number;
  /**
   * Continuous quantiles (`quantile_cont` / `percentile_cont`): exact up to `exactQuantileRows` rows
   * (and always on PostgreSQL); beyond it on DuckDB read from fine bins, off by less than
   * (max - min) / quantileBins (see docs/data.md) and flagged by the profile's `approxQuantiles`.
   */
  quantiles?: { q: number; value: number }[];
  minLength?: number;
  maxLength?: number;
  /** Text columns: share of the first {@link PARSE_SAMPLE_ROWS} non-null values that parse as a number / ISO date / JSON. */
  parseable?: { number: number; date: number; json: number; sampled: number };
  /** Most frequent values (text form), absent when the column has too many distinct values. */
  top?: { value: string; count: number }[];
  histogram?: { edges: number[]; counts: number[] };
}

/** A dataset profile (JSON output of `bulwark data profile`). */
export interface DatasetProfile {
  schemaVersion: 1;
  kind: 'data-profile';
  target: string;
  subject: { name: string; digest: { sha256: string } };
  engine: 'duckdb' | 'postgres';
  /** True when quantiles were estimated from fine bins (large inputs on DuckDB), not sorted exactly. */
  approxQuantiles: boolean;
  rows: number;
  columns: ColumnProfile[];
}

function round(n: number | null): number | undefined {
  return n === null || !Number.isFinite(n) ? undefined : Number(n.toPrecision(12));
}

/** Where {@link profileSession} keeps the text censuses it takes, and what they also fetch. */
export interface ProfileCensusOptions {
  readonly store: CensusStore;
  /** Detector prefilter groups whose matching values each census also fetches (for a validation to come). */
  readonly patterns?: readonly CandidatePattern[];
  readonly candidateLimit: number;
}

/** Profiles an open session: the rows and columns of {@link profileOpenSession}'s profile. */
async function profileSession(
  session: DataSession,
  options: Omit<ProfileDatasetOptions, 'path' | 'source'> & { readonly census?: ProfileCensusOptions } = {},
): Promise<{ rows: number; columns: ColumnProfile[]; approxQuantiles: boolean }> {
  const topN = options.topValues ?? DEFAULT_PROFILE_OPTIONS.topValues;
  const bins = options.bins ?? DEFAULT_PROFILE_OPTIONS.bins;
  const topMax = options.topValuesMaxDistinct ?? DEFAULT_PROFILE_OPTIONS.topValuesMaxDistinct;
  const exactRows = options.exactQuantileRows ?? DEFAULT_PROFILE_OPTIONS.exactQuantileRows;
  const fineBins = Math.max(1, Math.trunc(options.quantileBins ?? DEFAULT_PROFILE_OPTIONS.quantileBins));
  const censusOf = async (column: string): Promise<TextCensus> => {
    const census = await takeTextCensus(session, column, { top: topN, ...(options.census?.patterns ? { patterns: options.census.patterns } : {}), candidateLimit: options.census?.candidateLimit ?? 0 });
    options.census?.store.set(column, census);
    return census;
  };
  /** True when the `nonNull` values of a column are read in strictly increasing order: all distinct. */
  const readInIncreasingOrder = async (column: string, nonNull: number): Promise<boolean> => {
    const m = compileGroupQuery({ kind: 'strictlyIncreasing', column }, session.dialect, session.relation);
    const mono = (await session.query(m.sql, m.params))[0] ?? {};
    return (toNumber(mono.bad) ?? 1) === 0 && (toNumber(mono.n) ?? -1) === nonNull;
  };
  // The head of the table: columns with few distinct values among the first rows skip the distinct
  // sketch (a third of the first scan's cost on 10M rows): their exact count comes from the group-by
  // they get anyway. Text columns whose estimated cardinality (Chao1 over the head) is modest get a
  // census instead of any part of the first scan.
  const fewDistinct = new Set<string>();
  const keyLike = new Set<string>();
  const censused = new Set<string>();
  const valueLimit = Math.min(topMax, VALUE_COUNTS_MAX_DISTINCT);
  /** Every distinct value of a numeric column with its count, ascending; undefined above valueLimit. */
  const valueCountsOf = async (column: string): Promise<ValueCount[] | undefined> => {
    const vq = compileGroupQuery({ kind: 'valueCounts', column, limit: valueLimit }, session.dialect, session.relation);
    const vrows = await session.query(vq.sql, vq.params);
    const groups = toNumber(vrows[0]?.groups) ?? 0;
    if (groups > valueLimit || vrows.length !== groups) return undefined;
    return vrows.map((v) => ({ v: String(v.v), x: toNumber(v.x) ?? Number.NaN, n: toNumber(v.n) ?? 0 }));
  };
  /** Numeric columns profiled from their value counts (fetched before the first scan or in place of a bin set). */
  const counted = new Map<string, ValueCount[]>();
  /** Numeric columns whose value counts exceeded valueLimit (not asked again). */
  const refused = new Set<string>();
  if (session.columns.length > 0) {
    const h = compileGroupQuery({ kind: 'prefixCardinality', columns: session.columns.map((c) => c.name), rows: PREFIX_HINT_ROWS }, session.dialect, session.relation);
    const hint = new Map((await session.query(h.sql, h.params)).map((r) => [toNumber(r.k) ?? -2, { d: toNumber(r.d) ?? 0, f1: toNumber(r.f1) ?? 0, f2: toNumber(r.f2) ?? 0 }]));
    const seen = hint.get(-1)?.d ?? 0;
    // Rows known before the first scan: the head held them all, or the file says (Parquet metadata).
    const rowsKnown = seen < PREFIX_HINT_ROWS ? seen : session.format === 'parquet' ? toNumber((await session.query(`SELECT count(*) AS n FROM ${session.relation.sql} AS t`, session.relation.params))[0]?.n) : null;
    /** A column's distinct values: exact when the head held every row, else estimated from the head (Chao1). */
    const estimateOf = (hc: { d: number; f1: number; f2: number }): number => (seen < PREFIX_HINT_ROWS ? hc.d : chao1(hc.d, hc.f1, hc.f2));
    session.columns.forEach((c, i) => {
      const hc = hint.get(i);
      const d = hc?.d ?? null;
      if (seen > 0 && d !== null && d * 20 <= seen) fewDistinct.add(c.name);
      // Every one of the first rows distinct in a numeric column: likely a key, often stored sorted. Its
      // sketch (0.1-0.2 s of the first scan on 10M rows) waits for the strictly-increasing proof below.
      else if (session.dialect.name === 'duckdb' && isNumericKind(c.kind) && seen >= PREFIX_HINT_ROWS && d === seen) keyLike.add(c.name);
      if (c.kind === 'text' && hc) {
        if (fewDistinct.has(c.name) || (rowsKnown !== null && rowsKnown > 0 && estimateOf(hc) * DISTINCT_FIRST_RATIO <= rowsKnown)) censused.add(c.name);
      }
    });
    // Above exactQuantileRows, a numeric column whose head promises at most `valueLimit` distinct values
    // is profiled from one group-by of its values before the first scan and stays out of it (its
    // count, range, mean and deviation follow from the counts): on 10M rows about 0.1 s of the first
    // scan per column. A promise the group-by breaks costs that group-by; the column is scanned as usual.
    if (session.dialect.name === 'duckdb' && rowsKnown !== null && rowsKnown > exactRows) {
      for (const [i, c] of session.columns.entries()) {
        const hc = hint.get(i);
        if (!isNumericKind(c.kind) || !hc || keyLike.has(c.name)) continue;
        if (estimateOf(hc) > valueLimit) continue;
        const values = await valueCountsOf(c.name);
        if (values) counted.set(c.name, values);
        else refused.add(c.name);
      }
    }
  }
  const rowsM: ScanMetric = { kind: 'rowCount' };
  const metrics: ScanMetric[] = [rowsM];
  for (const c of session.columns) {
    if (censused.has(c.name) || counted.has(c.name)) continue;
    // Distinct counts: a HyperLogLog sketch where the engine has one (exact count(DISTINCT) over every
    // column is the most expensive aggregate of a profile); made exact below by the top-values group-by
    // for modest cardinalities and by a duplicate-key query for near-unique columns.
    metrics.push({ kind: 'nonNull', column: c.name });
    if (!fewDistinct.has(c.name) && !keyLike.has(c.name)) metrics.push({ kind: 'distinct', column: c.name, approx: true });
    if (isNumericKind(c.kind)) {
      // Quantiles come with the histograms in the second scan: exact (a sort) for small inputs, from
      // fine bins for large ones (sorting every numeric column dominated the profile's cost).
      metrics.push({ kind: 'min', column: c.name, native: true }, { kind: 'max', column: c.name, native: true }, { kind: 'mean', column: c.name }, { kind: 'std', column: c.name });
    } else if (c.kind === 'text') {
      metrics.push({ kind: 'minLength', column: c.name }, { kind: 'maxLength', column: c.name });
    }
  }
  const r = await scanInParts(session, metrics);
  const rows = r.get(rowsM) ?? 0;
  const censuses = new Map<string, TextCensus>();
  for (const name of censused) censuses.set(name, await censusOf(name));
  /** Unrounded min/max for the fine bins. */
  const rawRange = new Map<string, { min: number; max: number }>();
  /** Columns whose top values and exact distinct count are known. */
  const known = new Set<string>();
  const columns: ColumnProfile[] = session.columns.map((c) => {
    const census = censuses.get(c.name);
    const values = counted.get(c.name);
    const nonNull = census ? census.nonNull : values ? values.reduce((a, v) => a + v.n, 0) : (r.get({ kind: 'nonNull', column: c.name }) ?? 0);
    const p: ColumnProfile = {
      name: c.name,
      type: c.type,
      kind: c.kind,
      nulls: rows - nonNull,
      nullFraction: rows > 0 ? (rows - nonNull) / rows : 0,
      // 0 for a column without the sketch: below the top-values bound, so the group-by sets it exactly.
      distinct: census ? census.distinct : values ? values.length : fewDistinct.has(c.name) || keyLike.has(c.name) ? 0 : (r.get({ kind: 'distinct', column: c.name, approx: true }) ?? 0),
      distinctApprox: !census && !values && session.dialect.name === 'duckdb' && !fewDistinct.has(c.name),
    };
    if (census) {
      if (census.minLength !== null) p.minLength = census.minLength;
      if (census.maxLength !== null) p.maxLength = census.maxLength;
      if (census.distinct <= topMax) p.top = census.top.map((t) => ({ ...t }));
      known.add(c.name);
    } else if (values) {
      // The scan's own statistics, from the counts: min/max are the first and last values (the same
      // doubles the scan's cast gives), mean and deviation compensated sums over the distinct values.
      const lo = values[0]?.x;
      const hi = values[values.length - 1]?.x;
      const m = momentsOf(values);
      for (const [k, v] of [['min', lo], ['max', hi], ['mean', m.mean], ['std', m.std]] as const) {
        const x = round(v ?? null);
        if (x !== undefined) p[k] = x;
      }
      p.quantiles = [];
      if (lo !== undefined && hi !== undefined && Number.isFinite(lo) && Number.isFinite(hi)) rawRange.set(c.name, { min: lo, max: hi });
    } else if (isNumericKind(c.kind)) {
      const set = (k: 'min' | 'max' | 'mean' | 'std'): void => {
        const v = round(r.get(k === 'min' || k === 'max' ? { kind: k, column: c.name, native: true } : { kind: k, column: c.name }));
        if (v !== undefined) p[k] = v;
      };
      // A NaN mean: a NaN among the values (or both infinities). DuckDB orders NaN above every number,
      // so a scan's max is NaN, but a Parquet footer's max leaves NaN out (the format says so), and
      // the footer may have answered it: the max is NaN either way, unknown to the profile.
      const mean = r.get({ kind: 'mean', column: c.name });
      const nanInside = Number.isNaN(mean);
      set('min');
      if (!nanInside) set('max');
      set('mean');
      // With a NaN or an infinity among the values the deviation is unknown too (the engine's is over the finite ones).
      if (mean === null || Number.isFinite(mean)) set('std');
      p.quantiles = [];
      const lo = r.get({ kind: 'min', column: c.name, native: true });
      const hi = nanInside ? Number.NaN : r.get({ kind: 'max', column: c.name, native: true });
      if (lo !== null && hi !== null && Number.isFinite(lo) && Number.isFinite(hi)) rawRange.set(c.name, { min: lo, max: hi });
    } else if (c.kind === 'text') {
      const minL = r.get({ kind: 'minLength', column: c.name });
      const maxL = r.get({ kind: 'maxLength', column: c.name });
      if (minL !== null) p.minLength = minL;
      if (maxL !== null) p.maxLength = maxL;
    }
    return p;
  });

  // Key-like columns: unique if read in strictly increasing order (exact, as the check below would
  // find); else their sketch after all, in one more scan of just those columns.
  const monoTried = new Set<string>();
  const provedKeys = new Set<string>();
  const sketchLate: ColumnProfile[] = [];
  for (const c of columns) {
    if (!keyLike.has(c.name)) continue;
    const nonNull = rows - c.nulls;
    if (nonNull > 0 && c.nulls <= 1) {
      monoTried.add(c.name);
      if (await readInIncreasingOrder(c.name, nonNull)) {
        c.distinct = nonNull;
        c.distinctApprox = false;
        provedKeys.add(c.name);
        continue;
      }
    }
    sketchLate.push(c);
  }
  if (sketchLate.length > 0) {
    const late = compileScan(sketchLate.map((c): ScanMetric => ({ kind: 'distinct', column: c.name, approx: true })), session.dialect, session.relation);
    const lr = readScanRow(late, (await session.query(late.sql, late.params))[0] ?? {});
    for (const c of sketchLate) c.distinct = lr.get({ kind: 'distinct', column: c.name, approx: true }) ?? 0;
  }

  // Histograms (equal-width bins over [min, max]) and quantiles: one more scan of the numeric columns.
  const histCols = columns.filter((c) => isNumericKind(c.kind) && c.min !== undefined && c.max !== undefined);
  const coarseOf = (c: ColumnProfile): Binning & { edges: number[] } => {
    const lo = c.min ?? 0;
    const hi = c.max ?? 0;
    const n = lo === hi ? 1 : c.kind === 'integer' ? Math.min(bins, hi - lo + 1) : bins;
    const width = lo === hi ? 1 : (hi - lo) / n;
    return { lo, width, n, edges: Array.from({ length: n + 1 }, (_, i) => (i === n ? hi : lo + i * width)) };
  };
  const setQuantiles = (c: ColumnProfile, values: readonly (number | null)[]): void => {
    c.quantiles = PROFILE_QUANTILES.flatMap((q, i) => {
      const v = round(values[i] ?? null);
      return v === undefined ? [] : [{ q, value: v }];
    });
  };
  const binned = session.dialect.name === 'duckdb' && rows > exactRows;
  let approxQuantiles = session.dialect.approxQuantiles;
  if (histCols.length > 0 && binned) {
    // One GROUPING SETS scan with ONE key per column: fine bins for the quantiles (error < bin width),
    // the display histogram summed from them. Integer columns of a small span get width-1 bins (exact
    // quantiles, and each value's display bin computed in JS with the scan metric's own arithmetic);
    // other columns split each display bin into K fine bins (at least `fineBins` in all).
    type Spec = BinCountSpec & { fine: Binning; exact: boolean; range: { min: number; max: number }; coarse?: Binning & { edges: number[] } };
    const specs: Spec[] = [];
    const binCols: ColumnProfile[] = [];
    for (const c of histCols) {
      const range = rawRange.get(c.name) ?? { min: c.min ?? 0, max: c.max ?? 0 };
      const span = range.max - range.min;
      const exact = span === 0 || (c.kind === 'integer' && Number.isSafeInteger(range.min) && span + 1 <= fineBins);
      const coarse = bins > 0 ? coarseOf(c) : undefined;
      let spec: Spec;
      if (exact) {
        const n = span === 0 ? 1 : span + 1;
        spec = { column: c.name, lo: range.min, width: 1, n, split: 1, fine: { lo: range.min, width: 1, n }, exact, range };
      } else if (coarse) {
        const k = Math.ceil(fineBins / coarse.n);
        spec = { column: c.name, lo: coarse.lo, width: coarse.width, n: coarse.n * k, split: k, fine: { lo: coarse.lo, width: coarse.width / k, n: coarse.n * k }, exact, range };
      } else {
        spec = { column: c.name, lo: range.min, width: span / fineBins, n: fineBins, split: 1, fine: { lo: range.min, width: span / fineBins, n: fineBins }, exact, range };
      }
      if (coarse) spec.coarse = coarse;
      // Distinct integers (proved above) as many as the integers in [min, max]: exactly min..max (a row
      // id). Exact quantiles and the histogram follow without reading the column again.
      const nonNull = rows - c.nulls;
      if (c.kind === 'integer' && provedKeys.has(c.name) && Number.isSafeInteger(range.min) && Number.isSafeInteger(range.max) && span + 1 === nonNull && span < CONTIGUOUS_KEY_MAX_SPAN) {
        setQuantiles(c, continuousQuantiles(nonNull, PROFILE_QUANTILES, (rank) => range.min + rank));
        if (coarse) {
          // The same arithmetic as the bin set this column would have had: a display bin per integer,
          // monotone in it, so each bin's integers are found by binary search instead of one by one.
          const displayBin = (x: number): number => displayBinOf(spec, coarse, binIndexOf(spec, x));
          c.histogram = { edges: coarse.edges.map((e) => Number(e.toPrecision(12))), counts: countContiguous(range.min, range.max, displayBin, coarse.n) };
        }
        continue;
      }
      // A column of modest cardinality gets one group-by of its values instead of a bin set: exact
      // quantiles, and the histogram, top values and exact distinct count from the same rows (its
      // top-values group-by would run anyway; a bin set costs a hash aggregate over every row).
      const few = counted.has(c.name) || (!refused.has(c.name) && (fewDistinct.has(c.name) || (c.distinctApprox && c.distinct <= valueLimit * 1.2)));
      if (few) {
        const values = counted.get(c.name) ?? (await valueCountsOf(c.name));
        if (values) {
          const groups = values.length;
          setQuantiles(c, quantilesFromValueCounts(values, PROFILE_QUANTILES));
          if (coarse) {
            const hist = Array.from({ length: coarse.n }, () => 0);
            for (const v of values) {
              // The same arithmetic as the bin set this column would have had, summed the same way.
              const at = displayBinOf(spec, coarse, binIndexOf(spec, v.x));
              hist[at] = (hist[at] ?? 0) + v.n;
            }
            c.histogram = { edges: coarse.edges.map((e) => Number(e.toPrecision(12))), counts: hist };
          }
          // Most frequent first, then by text form (the topValues query's ORDER BY n DESC, v; the text
          // forms of numbers are ASCII, so code-unit order is the engine's byte order).
          c.top = [...values]
            .sort((a, b) => b.n - a.n || (a.v < b.v ? -1 : a.v > b.v ? 1 : 0))
            .slice(0, topN)
            .map((v) => ({ value: v.v, count: v.n }));
          c.distinct = groups;
          c.distinctApprox = false;
          known.add(c.name);
          continue;
        }
      }
      if (!exact) approxQuantiles = true;
      specs.push(spec);
      binCols.push(c);
    }
    const q = specs.length > 0 ? compileGroupQuery({ kind: 'binCounts', specs }, session.dialect, session.relation) : undefined;
    const binCounts = q ? readBinCounts(specs, await session.query(q.sql, q.params)) : [];
    specs.forEach((s, i) => {
      const c = binCols[i];
      const fine = binCounts[i];
      if (!c || !fine) return;
      setQuantiles(c, quantilesFromBins(fine, s.fine, s.range, PROFILE_QUANTILES, s.exact));
      const coarse = s.coarse;
      if (!coarse) return;
      const counts = Array.from({ length: coarse.n }, () => 0);
      fine.forEach((n, j) => {
        if (n === 0) return;
        const at = displayBinOf(s, coarse, j);
        counts[at] = (counts[at] ?? 0) + n;
      });
      c.histogram = { edges: coarse.edges.map((e) => Number(e.toPrecision(12))), counts };
    });
  } else if (histCols.length > 0) {
    const binMetrics = new Map<string, { edges: number[]; metrics: ScanMetric[] }>();
    const oneAggregate = session.dialect.histogram !== undefined;
    for (const c of bins > 0 ? histCols : []) {
      const { lo, width, n, edges } = coarseOf(c);
      // One histogram aggregate per column where the engine has it (DuckDB), else one filtered count per bin.
      const ms = oneAggregate
        ? [{ kind: 'histogram', column: c.name, lo, width, n } satisfies ScanMetric]
        : edges.slice(0, -1).map((e, i): ScanMetric => ({ kind: 'countIf', predicate: { op: 'within', column: c.name, lo: e, hi: edges[i + 1] ?? c.max ?? 0, closed: i === n - 1 } }));
      binMetrics.set(c.name, { edges, metrics: ms });
    }
    const quantileMetrics = histCols.map((c): ScanMetric => ({ kind: 'quantiles', column: c.name, qs: PROFILE_QUANTILES }));
    const hscan = compileScan([...[...binMetrics.values()].flatMap((b) => b.metrics), ...quantileMetrics], session.dialect, session.relation);
    const hr = readScanRow(hscan, (await session.query(hscan.sql, hscan.params))[0] ?? {});
    histCols.forEach((c, i) => setQuantiles(c, hr.list(quantileMetrics[i] as ScanMetric)));
    for (const c of histCols) {
      const b = binMetrics.get(c.name);
      if (!b) continue;
      const counts = oneAggregate ? hr.list(b.metrics[0] as ScanMetric).map((x) => x ?? 0) : b.metrics.map((m) => hr.get(m) ?? 0);
      c.histogram = { edges: b.edges.map((e) => Number(e.toPrecision(12))), counts };
    }
  }

  for (const c of columns) {
    const nonNull = rows - c.nulls;
    if (nonNull === 0) {
      c.distinct = 0;
      c.distinctApprox = false;
      continue;
    }
    if (known.has(c.name)) {
      c.unique = c.distinct === nonNull && nonNull === rows;
      continue;
    }
    // A text column the head could not place (rows unknown before the scan) with a modest sketched
    // cardinality: its census after all (exact distinct count, top values, detector candidates).
    if (c.kind === 'text' && c.distinctApprox && rows > 0 && c.distinct * DISTINCT_FIRST_RATIO <= rows) {
      const census = await censusOf(c.name);
      c.distinct = census.distinct;
      c.distinctApprox = false;
      if (census.distinct <= topMax) c.top = census.top.map((t) => ({ ...t }));
      c.unique = c.distinct === nonNull && nonNull === rows;
      continue;
    }
    // The sketch may be off by a few percent either way, hence the slack on both tests.
    if (c.distinct <= topMax * 1.2) {
      const q = compileGroupQuery({ kind: 'topValues', column: c.name, limit: topN }, session.dialect, session.relation);
      const top = await session.query(q.sql, q.params);
      c.top = top.map((t) => ({ value: String(t.v), count: toNumber(t.n) ?? 0 }));
      c.distinct = toNumber(top[0]?.groups) ?? 0;
      c.distinctApprox = false;
      if (c.distinct > topMax) delete c.top;
    } else if (c.distinctApprox && c.distinct >= nonNull * 0.9) {
      // A column read in strictly increasing order is unique: a streaming check instead of a
      // group-by over every value (measured on 10M ids: 0.1-0.2 s against 1.5-2.6 s).
      if (c.nulls <= 1 && !monoTried.has(c.name) && (await readInIncreasingOrder(c.name, nonNull))) {
        c.distinct = nonNull;
        c.distinctApprox = false;
        c.unique = nonNull === rows;
        continue;
      }
      const q = compileGroupQuery({ kind: 'duplicateKeys', columns: [c.name] }, session.dialect, session.relation);
      const dup = (await session.query(q.sql, q.params))[0] ?? {};
      if ((toNumber(dup.groups) ?? 0) === 0) {
        c.distinct = nonNull;
        c.distinctApprox = false;
      }
    }
    c.unique = !c.distinctApprox && c.distinct === nonNull && nonNull === rows;
  }
  // Parseability of text columns from a bounded prefix of the rows (checked in JS): it only guides
  // suggestions, and a suggested `parseable` expectation is then checked over every row by validate.
  const textCols = columns.filter((c) => c.kind === 'text' && c.nulls < rows);
  if (textCols.length > 0) {
    const d = session.dialect;
    const sample = await session.query(
      `SELECT ${textCols.map((c, i) => `${d.toText(d.quote(c.name))} AS ${d.quote(`s${i}`)}`).join(', ')} FROM ${session.relation.sql} AS t LIMIT ${Math.trunc(PARSE_SAMPLE_ROWS)}`,
      session.relation.params,
    );
    textCols.forEach((c, i) => {
      const values = sample.map((row) => row[`s${i}`]).filter((v): v is string => typeof v === 'string');
      const share = (test: (v: string) => boolean): number => (values.length === 0 ? 0 : values.filter(test).length / values.length);
      c.parseable = { number: share(parsesAsNumber), date: share(parsesAsIsoDate), json: share(parsesAsJson), sampled: values.length };
    });
  }
  return { rows, columns, approxQuantiles };
}

/**
 * The display bin of fine bin `j` of a bin set: width-1 bins (`exact`) by the integer they hold, else
 * the coarse bin the fine bin splits (`split` fine bins each), clamped to the display histogram.
 */
function displayBinOf(spec: BinCountSpec & { readonly exact: boolean }, coarse: Binning, j: number): number {
  const b = spec.exact ? Math.floor((spec.lo + j - coarse.lo) / coarse.width) : Math.floor(j / spec.split);
  return Math.max(0, Math.min(coarse.n - 1, b));
}

/**
 * How many of the integers lo..hi fall in each of `n` bins under a non-decreasing `binOf`: each bin's
 * first integer by binary search (O(n log(hi - lo)) instead of a call per integer).
 */
export function countContiguous(lo: number, hi: number, binOf: (x: number) => number, n: number): number[] {
  /** The first integer in lo..hi + 1 whose bin is at least b. */
  const firstAtLeast = (b: number): number => {
    let a = lo;
    let z = hi + 1;
    while (a < z) {
      const mid = a + Math.floor((z - a) / 2);
      if (binOf(mid) >= b) z = mid;
      else a = mid + 1;
    }
    return a;
  };
  const starts = Array.from({ length: n + 1 }, (_, b) => (b === 0 ? lo : b === n ? hi + 1 : firstAtLeast(b)));
  return starts.slice(0, n).map((s, b) => (starts[b + 1] ?? s) - s);
}

/**
 * Runs a fused scan. On Parquet, the counts and native min/max (what a footer's row-group statistics
 * can answer) go in a query of their own, which DuckDB
 * answers from the footer's row-group statistics where every row group has them (and by scanning those
 * columns where not): on the 10M-row benchmark file 0.18 s of a 0.65 s first scan. Any other format
 * would be read twice, so there it stays one scan.
 */
async function scanInParts(session: DataSession, metrics: readonly ScanMetric[]): Promise<ScanResults> {
  const answerable = (m: ScanMetric): boolean => m.kind === 'rowCount' || m.kind === 'nonNull' || ((m.kind === 'min' || m.kind === 'max') && m.native === true);
  const footer = session.format === 'parquet' ? metrics.filter(answerable) : [];
  const rest = metrics.filter((m) => !footer.includes(m));
  const run = async (ms: readonly ScanMetric[]): Promise<ScanResults | undefined> => {
    if (ms.length === 0) return undefined;
    const scan = compileScan(ms, session.dialect, session.relation);
    return readScanRow(scan, (await session.query(scan.sql, scan.params))[0] ?? {});
  };
  const a = await run(footer);
  const b = await run(rest);
  const pick = (m: ScanMetric): ScanResults => {
    const from = footer.some((f) => metricKey(f) === metricKey(m)) ? a : b;
    if (!from) throw new Error(`metric not in the plan: ${metricKey(m)}`);
    return from;
  };
  return { get: (m) => pick(m).get(m), list: (m) => pick(m).list(m) };
}

/** A distinct value of a numeric column: its text form, its double, its row count. */
interface ValueCount {
  readonly v: string;
  readonly x: number;
  readonly n: number;
}

/**
 * Mean and sample standard deviation of values with row counts (DuckDB's avg and stddev_samp of the
 * same doubles): Neumaier-compensated sums, the deviation in a second pass around the mean.
 */
export function momentsOf(values: readonly { readonly x: number; readonly n: number }[]): { mean: number | null; std: number | null } {
  const sum = (term: (v: { x: number; n: number }) => number): number => {
    let s = 0;
    let comp = 0;
    for (const v of values) {
      const t = term(v);
      const u = s + t;
      comp += Math.abs(s) >= Math.abs(t) ? s - u + t : t - u + s;
      s = u;
    }
    return s + comp;
  };
  const total = sum((v) => v.n);
  if (total === 0) return { mean: null, std: null };
  const mean = sum((v) => v.x * v.n) / total;
  if (total < 2) return { mean, std: null };
  return { mean, std: Math.sqrt(sum((v) => (v.x - mean) * (v.x - mean) * v.n) / (total - 1)) };
}

/**
 * Numeric columns with at most this many distinct values (on binned runs) are profiled from one
 * group-by of their values (exact quantiles) instead of fine bins. Measured on 10M rows: a 10,000-value
 * column's group-by 0.15 s, and each bin set dropped saves its hash aggregate over every row.
 */
export const VALUE_COUNTS_MAX_DISTINCT = 20_000;

/**
 * A proved-unique integer column filling [min, max] (a row id) is profiled without a bin set up to this
 * span: its histogram is counted in JS, one value at a time (10M values: about 0.05 s, against 0.2 s for
 * its bin set on 10M rows).
 */
export const CONTIGUOUS_KEY_MAX_SPAN = 50_000_000;

/** Rows read for the cardinality hint that lets low-cardinality columns skip the distinct sketch. */
export const PREFIX_HINT_ROWS = 10_000;

/** Rows read for the parseability shares of text columns. */
export const PARSE_SAMPLE_ROWS = 10_000;

/** The same forms the SQL checks accept (dialect.ts): a decimal or scientific number. */
function parsesAsNumber(v: string): boolean {
  return /^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$/.test(v);
}

/** ISO 8601 calendar date, YYYY-MM-DD, that exists. */
function parsesAsIsoDate(v: string): boolean {
  const m = /^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})\s*$/.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * A JSON document (any JSON value). Text that cannot start one is rejected before JSON.parse: a
 * thrown SyntaxError per value cost 0.3 s on the 50,000 sampled values of five ordinary text columns.
 */
export function parsesAsJson(v: string): boolean {
  const first = /^[ \t\n\r]*(.)/su.exec(v)?.[1];
  if (first === undefined) return false;
  if (first === 't' || first === 'f' || first === 'n') {
    const t = v.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
    return t === 'true' || t === 'false' || t === 'null';
  }
  if (!'{["-0123456789'.includes(first)) return false;
  try {
    JSON.parse(v);
    return true;
  } catch {
    return false;
  }
}

/** Profiles a dataset file (or another source). Unreadable input throws a BulwarkError naming it. */
export async function profileDataset(options: ProfileDatasetOptions): Promise<DatasetProfile> {
  const { session, subject } = await openSubjectSession(options.source ?? { kind: 'file', path: options.path }, options.signal);
  try {
    return await profileOpenSession(session, subject, options);
  } finally {
    await session.close();
  }
}

/** {@link profileDataset} over an open session whose subject digest is being computed. */
export async function profileOpenSession(
  session: DataSession,
  subject: Promise<DatasetSubject>,
  options: Omit<ProfileDatasetOptions, 'source' | 'signal'> & { readonly census?: ProfileCensusOptions },
): Promise<DatasetProfile> {
  const { rows, columns, approxQuantiles } = await profileSession(session, options);
  return { schemaVersion: 1, kind: 'data-profile', target: options.path, subject: await subject, engine: session.dialect.name, approxQuantiles, rows, columns };
}

function num(n: number | undefined): string {
  if (n === undefined) return '';
  return Number.isInteger(n) ? String(n) : n.toPrecision(6);
}

/**
 * The profile as one self-contained HTML page (no scripts, strict CSP): a summary table and, per
 * column, its statistics and a chart (histogram for numbers, top values otherwise). Values shown are
 * the dataset's own statistics: text values (top values) are escaped, never emitted as markup.
 */
export function renderProfileHtml(profile: DatasetProfile): string {
  const summary = profile.columns
    .map(
      (c) =>
        `<tr><td><a href="#col-${escapeHtml(encodeURIComponent(c.name))}">${escapeHtml(c.name)}</a></td><td>${escapeHtml(c.type)}</td>` +
        `<td class="num">${c.nulls} (${(c.nullFraction * 100).toFixed(1)}%)</td><td class="num">${c.distinct}</td>` +
        `<td class="num">${num(c.min)}</td><td class="num">${num(c.max)}</td><td class="num">${num(c.mean)}</td></tr>`,
    )
    .join('\n');
  const sections = profile.columns.map((c) => {
    const stats: [string, string][] = [
      ['type', c.type],
      ['nulls', `${c.nulls} (${(c.nullFraction * 100).toFixed(2)}%)`],
      ['distinct', String(c.distinct)],
    ];
    if (c.min !== undefined) stats.push(['min', num(c.min)], ['max', num(c.max)], ['mean', num(c.mean)], ['std', num(c.std)]);
    for (const q of c.quantiles ?? []) stats.push([`p${Math.round(q.q * 100)}`, num(q.value)]);
    if (c.minLength !== undefined) stats.push(['length', `${c.minLength} – ${c.maxLength ?? ''}`]);
    let chart = '<p class="muted">No chart: too many distinct values.</p>';
    if (c.histogram && c.histogram.counts.length > 0) {
      const labels = c.histogram.counts.map((_, i) => num(c.histogram?.edges[i]));
      chart = renderBarChartSvg({ title: `Histogram of ${c.name}`, labels, series: [{ name: 'rows', values: c.histogram.counts, colour: 'var(--cur)' }] });
    } else if (c.top && c.top.length > 0) {
      chart = renderBarChartSvg({ title: `Top values of ${c.name}`, labels: c.top.map((t) => t.value), series: [{ name: 'rows', values: c.top.map((t) => t.count), colour: 'var(--cur)' }] });
    }
    const top = c.top && !c.histogram ? `<details><summary>Top ${c.top.length} values</summary><table>${c.top.map((t) => `<tr><td><code>${escapeHtml(t.value)}</code></td><td class="num">${t.count}</td></tr>`).join('')}</table></details>` : '';
    return (
      `<section id="col-${escapeHtml(encodeURIComponent(c.name))}" class="column"><h2>${escapeHtml(c.name)}</h2>` +
      `<table class="stats">${stats.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>${chart}${top}</section>`
    );
  });
  const body = [
    `<h1>Data profile: ${escapeHtml(basename(profile.target))}</h1>`,
    `<p class="muted">${profile.rows} rows · ${profile.columns.length} columns · sha256 <code>${escapeHtml(profile.subject.digest.sha256)}</code> · engine ${escapeHtml(profile.engine)}${profile.approxQuantiles ? ' (approximate quantiles)' : ''}</p>`,
    '<table class="summary"><thead><tr><th>column</th><th>type</th><th>nulls</th><th>distinct</th><th>min</th><th>max</th><th>mean</th></tr></thead><tbody>',
    summary,
    '</tbody></table>',
    ...sections,
  ].join('\n');
  return renderHtmlPage({ title: `Data profile: ${basename(profile.target)}`, body });
}
