/**
 * Reference profiles (whylogs-style mergeable summaries, saved as JSON): per column the kind, bins
 * (fine equal-width bins for Wasserstein, deciles for PSI), quantiles, frequencies, moments, a
 * seeded sample for KS, and a PCA model for multivariate drift. A profile is validated with zod
 * when read, so a hand-edited or truncated file is an error naming the field, never a crash.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { BulwarkError } from '../errors.js';
import { seededRandom } from '../stats/random.js';
import { fitPca } from './pca.js';
import { isNumericKind, sortedValues, type RawColumn, type RawDataset } from './read.js';
import type { BinnedSample } from './stats/index.js';
import { COLUMN_KINDS, type ColumnProfile, type DriftProfile, type NumericProfile, type ProfileSettings } from './types.js';

/** Fine bins per continuous column (Wasserstein from bins). */
export const DEFAULT_FINE_BINS = 100;
/** Sample kept per profile for KS and monitor thresholds (rows, shared by all numeric columns). */
export const DEFAULT_SAMPLE_SIZE = 5000;
/** Most frequent values kept per categorical column. */
export const DEFAULT_TOP_K = 1000;
/** A score s in [0, 1] is a high-confidence prediction when max(s, 1 − s) reaches this. */
export const DEFAULT_CONFIDENCE_THRESHOLD = 0.9;
/** Quantiles stored per numeric column. */
export const PROFILE_QUANTILES = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];
/** Seed of the profile's row sample (deterministic output). */
export const SAMPLE_SEED = 0x5eed;

/** Default {@link ProfileSettings}. */
export const DEFAULT_PROFILE_SETTINGS: ProfileSettings = {
  fineBins: DEFAULT_FINE_BINS,
  sampleSize: DEFAULT_SAMPLE_SIZE,
  topK: DEFAULT_TOP_K,
  confidenceThreshold: DEFAULT_CONFIDENCE_THRESHOLD,
};

/** Knuth's selection sampling (TAOCP 3.4.2, Algorithm S): `k` sorted row indices out of `n`. */
export function sampleIndices(n: number, k: number, seed = SAMPLE_SEED): Uint32Array {
  const want = Math.min(n, k);
  const out = new Uint32Array(want);
  const rand = seededRandom(seed);
  let chosen = 0;
  for (let i = 0; i < n && chosen < want; i++) {
    if ((n - i) * rand() < want - chosen) out[chosen++] = i;
  }
  return out;
}

/** Linear-interpolation quantile of sorted values (NumPy's default method). */
export function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Index of the first element ≥ x (the sorted length when there is none). */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts sorted values on fine edges; out-of-range values keep their exact distance sums. */
export function binOnEdges(sorted: Float64Array, edges: readonly number[]): BinnedSample {
  const first = edges[0]!;
  const last = edges[edges.length - 1]!;
  const lo = lowerBound(sorted, first);
  let hiIdx = sorted.length;
  while (hiIdx > lo && sorted[hiIdx - 1]! > last) hiIdx--;
  let underSum = 0;
  for (let i = 0; i < lo; i++) underSum += first - sorted[i]!;
  let overSum = 0;
  for (let i = hiIdx; i < sorted.length; i++) overSum += sorted[i]! - last;
  const counts = new Array<number>(Math.max(1, edges.length - 1)).fill(0);
  let prev = lo;
  for (let k = 1; k < edges.length - 1; k++) {
    const at = Math.min(hiIdx, Math.max(prev, lowerBound(sorted, edges[k]!)));
    counts[k - 1] = at - prev;
    prev = at;
  }
  counts[counts.length - 1] = hiIdx - prev;
  return { counts, under: { count: lo, sumDistance: underSum }, over: { count: sorted.length - hiIdx, sumDistance: overSum }, total: sorted.length };
}

/**
 * The fine bin of a value inside [first edge, last edge], as {@link binOnEdges} counts it (bin k is
 * [edges[k], edges[k+1]), the last one closed). Equal-width edges give the bin by arithmetic, which
 * can land one bin off at an edge, so it is settled against the stored edges.
 */
export function fineBinIndex(edges: readonly number[], x: number): number {
  const first = edges[0]!;
  const width = edges[edges.length - 1]! - first;
  const bins = Math.max(1, edges.length - 1);
  let k = width > 0 ? Math.floor(((x - first) / width) * bins) : 0;
  if (k >= bins) k = bins - 1;
  while (k > 0 && x < edges[k]!) k--;
  while (k < bins - 1 && x >= edges[k + 1]!) k++;
  return k;
}

/**
 * {@link binOnEdges} and {@link countOnDeciles} in one pass over UNSORTED values (NaN skipped), for
 * tests that need no order statistics: the current side of Wasserstein, PSI, JS and chi-square
 * avoids a sort of every column. Fine bins by {@link fineBinIndex}; deciles by a binary search over
 * 11 edges. Returns the finite count too.
 */
export function binUnsorted(values: Float64Array, fineEdges: readonly number[], decileEdges: readonly number[]): { fine: BinnedSample; deciles: number[]; count: number } {
  const first = fineEdges[0]!;
  const last = fineEdges[fineEdges.length - 1]!;
  const counts = new Array<number>(Math.max(1, fineEdges.length - 1)).fill(0);
  const inner = decileEdges.slice(1, -1);
  const deciles = new Array<number>(Math.max(1, decileEdges.length - 1)).fill(0);
  let under = 0;
  let underSum = 0;
  let over = 0;
  let overSum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    n++;
    if (v < first) {
      under++;
      underSum += first - v;
    } else if (v > last) {
      over++;
      overSum += v - last;
    } else {
      const k = fineBinIndex(fineEdges, v);
      counts[k] = counts[k]! + 1;
    }
    let lo = 0;
    let hi = inner.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (inner[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    deciles[lo] = deciles[lo]! + 1;
  }
  return { fine: { counts, under: { count: under, sumDistance: underSum }, over: { count: over, sumDistance: overSum }, total: n }, deciles, count: n };
}

/** Counts sorted values on decile edges, open-ended at both ends (values beyond go to the end bins). */
export function countOnDeciles(sorted: Float64Array, edges: readonly number[]): number[] {
  const k = edges.length - 1;
  const counts: number[] = [];
  let prev = 0;
  for (let i = 1; i < k; i++) {
    const at = Math.max(prev, lowerBound(sorted, edges[i]!));
    counts.push(at - prev);
    prev = at;
  }
  counts.push(sorted.length - prev);
  return counts;
}

/** Equal-width edges over [min, max] (one zero-width bin when the column is constant). */
export function fineEdgesFor(min: number, max: number, bins: number): number[] {
  if (!(max > min)) return [min, max];
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++) edges.push(i === bins ? max : min + ((max - min) * i) / bins);
  return edges;
}

function numericProfile(values: Float64Array, sample: Uint32Array, settings: ProfileSettings): NumericProfile {
  const sorted = sortedValues(values);
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const mean = n > 0 ? sum / n : Number.NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (sorted[i]! - mean) ** 2;
  const min = n > 0 ? sorted[0]! : Number.NaN;
  const max = n > 0 ? sorted[n - 1]! : Number.NaN;
  const fineEdges = n > 0 ? fineEdgesFor(min, max, settings.fineBins) : [];
  const decileEdges = n > 0 ? Array.from({ length: 11 }, (_, i) => quantileSorted(sorted, i / 10)) : [];
  const picked: number[] = [];
  for (const i of sample) {
    const v = values[i]!;
    if (!Number.isNaN(v)) picked.push(v);
  }
  const profile: NumericProfile = {
    min,
    max,
    mean,
    std: n > 0 ? Math.sqrt(ss / n) : Number.NaN,
    quantiles: PROFILE_QUANTILES.map((q) => quantileSorted(sorted, q)),
    fineEdges,
    fineCounts: n > 0 ? Array.from(binOnEdges(sorted, fineEdges).counts) : [],
    decileEdges,
    decileCounts: n > 0 ? countOnDeciles(sorted, decileEdges) : [],
    sample: picked,
  };
  if (n > 0 && min >= 0 && max <= 1) {
    profile.highConfidence = { threshold: settings.confidenceThreshold, count: countHighConfidence(sorted, settings.confidenceThreshold) };
  }
  return profile;
}

/** Values v with max(v, 1 − v) ≥ threshold (a binary classifier's confident predictions). */
export function countHighConfidence(values: ArrayLike<number>, threshold: number): number {
  let c = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Math.max(v, 1 - v) >= threshold) c++;
  }
  return c;
}

function columnProfile(col: RawColumn, sample: Uint32Array, settings: ProfileSettings): ColumnProfile {
  const out: ColumnProfile = { name: col.name, kind: col.kind, sqlType: col.sqlType, count: col.count, missing: col.missing };
  if (isNumericKind(col.kind) && col.values) out.numeric = numericProfile(col.values, sample, settings);
  if (col.counts) {
    const entries = [...col.counts.entries()];
    const top = entries.slice(0, settings.topK);
    const rest = entries.slice(settings.topK).reduce((s, [, n]) => s + n, 0);
    out.categorical = { values: top.map(([v]) => v), counts: top.map(([, n]) => n), other: (col.other ?? 0) + rest, distinct: col.distinct };
  }
  return out;
}

/** Options of {@link profileFromDataset}. */
export interface ProfileFromDatasetOptions {
  dataset: RawDataset;
  name: string;
  sha256: string;
  settings?: Partial<ProfileSettings>;
}

/** Builds a profile from a dataset that has been read (raw values are not kept). */
export function profileFromDataset(options: ProfileFromDatasetOptions): DriftProfile {
  const settings = { ...DEFAULT_PROFILE_SETTINGS, ...options.settings };
  const sample = sampleIndices(options.dataset.rows, settings.sampleSize);
  const columns = options.dataset.columns.map((c) => columnProfile(c, sample, settings));
  const profile: DriftProfile = {
    format: 'bulwark-drift-profile',
    version: 1,
    source: { name: options.name, sha256: options.sha256, rows: options.dataset.rows },
    settings,
    columns,
  };
  const pca = fitPca({ dataset: options.dataset, sample });
  if (pca) profile.pca = pca;
  return profile;
}

const finite = z.number().refine((v) => !Number.isNaN(v), 'a number');
const numberOrNull = z.union([z.number(), z.null()]).transform((v) => v ?? Number.NaN);

const numericSchema = z.object({
  min: numberOrNull,
  max: numberOrNull,
  mean: numberOrNull,
  std: numberOrNull,
  quantiles: z.array(numberOrNull),
  fineEdges: z.array(finite),
  fineCounts: z.array(z.number().int().nonnegative()),
  decileEdges: z.array(finite),
  decileCounts: z.array(z.number().int().nonnegative()),
  sample: z.array(finite),
  highConfidence: z.object({ threshold: z.number().min(0).max(1), count: z.number().int().nonnegative() }).strict().optional(),
}).strict().refine((p) => p.fineEdges.length === 0 || p.fineCounts.length === Math.max(1, p.fineEdges.length - 1), 'fineCounts must have one entry per fine bin')
  .refine((p) => p.decileEdges.length === 0 || p.decileCounts.length === p.decileEdges.length - 1, 'decileCounts must have one entry per decile');

const categoricalSchema = z.object({
  values: z.array(z.string()),
  counts: z.array(z.number().int().nonnegative()),
  other: z.number().int().nonnegative(),
  distinct: z.number().int().nonnegative(),
}).strict().refine((c) => c.values.length === c.counts.length, 'values and counts must have the same length');

const columnSchema = z.object({
  name: z.string(),
  kind: z.enum(COLUMN_KINDS as [string, ...string[]]),
  sqlType: z.string(),
  count: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  numeric: numericSchema.optional(),
  categorical: categoricalSchema.optional(),
}).strict();

const pcaSchema = z.object({
  columns: z.array(z.string()).min(2),
  means: z.array(finite),
  stds: z.array(finite),
  components: z.array(z.array(finite)).min(1),
  explainedVariance: finite,
  chunkSize: z.number().int().positive(),
  errorMean: finite,
  errorStd: finite,
}).strict();

/** The zod schema of a saved profile (docs/drift.md, "Profile format"). */
export const DRIFT_PROFILE_SCHEMA = z.object({
  format: z.literal('bulwark-drift-profile'),
  version: z.literal(1),
  source: z.object({ name: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), rows: z.number().int().nonnegative() }).strict(),
  settings: z.object({
    fineBins: z.number().int().positive(),
    sampleSize: z.number().int().positive(),
    topK: z.number().int().positive(),
    confidenceThreshold: z.number().min(0).max(1),
  }).strict(),
  columns: z.array(columnSchema),
  pca: pcaSchema.optional(),
}).strict();

/** Serialises a profile (NaN, which JSON lacks, becomes null and is read back as NaN). */
export function serialiseProfile(profile: DriftProfile): string {
  return JSON.stringify(profile, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n';
}

/** Parses and validates profile JSON; errors name the file and the field. */
export function parseProfile(text: string, file: string): DriftProfile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BulwarkError('PARSE_ERROR', `${file}: not a JSON drift profile (${(err as Error).message})`, { cause: err });
  }
  const parsed = DRIFT_PROFILE_SCHEMA.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') || '(root)' : '(root)';
    throw new BulwarkError('CONFIG_INVALID', `${file}: invalid drift profile at ${where}: ${issue?.message ?? 'invalid'}`, { cause: parsed.error });
  }
  return parsed.data as DriftProfile;
}

/** True when the file starts like a drift profile (JSON object naming our format). */
export function looksLikeProfile(head: string): boolean {
  return /^\s*\{\s*"format"\s*:\s*"bulwark-drift-profile"/.test(head);
}

/** Reads and validates a profile file. */
export async function readProfile(file: string): Promise<DriftProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE';
    throw new BulwarkError(code, `${file}: cannot read the drift profile (${(err as Error).message})`, { cause: err });
  }
  return parseProfile(text, file);
}
