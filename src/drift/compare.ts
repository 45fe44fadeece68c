/**
 * Per-column drift: the default test selection of Evidently's data-drift preset (continuous ≤ 1,000
 * rows on either side → KS, larger → Wasserstein normalised by the reference std ≥ 0.1; categorical
 * small → chi-square, larger → Jensen-Shannon ≥ 0.1; binary → two-proportion z-test), every test
 * selectable per column, PSI and the unseen share always computed.
 */
import { BulwarkError } from '../errors.js';
import { binUnsorted } from './profile.js';
import { isNumericKind, type RawColumn } from './read.js';
import {
  benjaminiHochbergAdjusted,
  chiSquareHomogeneity,
  jensenShannon,
  ksTwoSample,
  populationStabilityIndex,
  sortedFinite,
  twoProportionZ,
  wassersteinBinned,
} from './stats/index.js';
import type { ColumnDriftResult, ColumnKind, ColumnProfile, Correction, DriftMethod } from './types.js';

/** p-value tests flag drift below this (before correction). */
export const DEFAULT_ALPHA = 0.05;
/** Up to this many rows on either side, continuous columns get KS and categorical ones chi-square. */
export const SMALL_SAMPLE_MAX = 1000;
/** Normalised Wasserstein distance that counts as drift (Evidently's default). */
export const DEFAULT_WASSERSTEIN_THRESHOLD = 0.1;
/** Jensen-Shannon distance (natural log) that counts as drift (Evidently's default). */
export const DEFAULT_JS_THRESHOLD = 0.1;
/** PSI that counts as drift when PSI is the chosen test (0.1: "moderate shift", Evidently's default). */
export const DEFAULT_PSI_THRESHOLD = 0.1;
/** Display bins of the numeric histograms (the fine bins are merged down to this). */
export const HISTOGRAM_BINS = 20;

/** The default test for a column (docs/drift.md, "Test selection"). */
export function defaultMethod(kind: ColumnKind, nRef: number, nCur: number): DriftMethod {
  const small = Math.min(nRef, nCur) <= SMALL_SAMPLE_MAX;
  switch (kind) {
    case 'continuous':
    case 'text':
      return small ? 'ks' : 'wasserstein';
    case 'binary':
      return 'z-test';
    case 'categorical':
    case 'high-cardinality':
      return small ? 'chi-square' : 'jensen-shannon';
    case 'datetime':
      return 'none';
    default: {
      const never: never = kind;
      return never;
    }
  }
}

/** True for methods that produce a p-value (and so take part in the correction). */
export function hasPValue(method: DriftMethod): boolean {
  return method === 'ks' || method === 'chi-square' || method === 'z-test';
}

/** Inputs of {@link compareColumn}. */
export interface CompareColumnOptions {
  reference: ColumnProfile;
  /** Sorted raw reference values when the reference was read from data (exact KS); else the profile sample is used. */
  referenceSorted?: Float64Array | undefined;
  current: RawColumn;
  role: ColumnDriftResult['role'];
  method?: DriftMethod | undefined;
  alpha: number;
}

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((s, x) => s + x, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

function fmtEdge(x: number): string {
  return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : String(Number(x.toPrecision(3)));
}

type ColumnBody = Omit<ColumnDriftResult, 'column' | 'kind' | 'role' | 'missingShare'>;

/** A numeric column that cannot be tested: no reference values, or no current ones. */
function untestedNumeric(o: CompareColumnOptions, current: number): ColumnBody {
  return { method: 'none', statistic: Number.NaN, threshold: 0, drifted: false, n: { reference: o.reference.count, current }, binning: 'none', psi: Number.NaN, unseenShare: 0, histogram: { labels: [], reference: [], current: [] } };
}

function numericResult(o: CompareColumnOptions, method: DriftMethod): ColumnBody {
  const ref = o.reference.numeric;
  const values = o.current.values ?? new Float64Array(0);
  if (!ref || ref.fineEdges.length === 0) return untestedNumeric(o, o.current.count);
  // Only KS needs the current values in order; everything else is counted in one unsorted pass.
  const binned = binUnsorted(values, ref.fineEdges, ref.decileEdges);
  const nCur = binned.count;
  if (nCur === 0) return untestedNumeric(o, 0);
  const curFine = binned.fine;
  const refFine = { counts: ref.fineCounts, under: { count: 0, sumDistance: 0 }, over: { count: 0, sumDistance: 0 }, total: o.reference.count };
  const curDeciles = binned.deciles;
  const psi = populationStabilityIndex(ref.decileCounts, curDeciles);
  const unseenShare = (curFine.under.count + curFine.over.count) / nCur;
  const group = Math.max(1, Math.ceil(ref.fineCounts.length / HISTOGRAM_BINS));
  const labels: string[] = [];
  const hr: number[] = [];
  const hc: number[] = [];
  if (curFine.under.count > 0) {
    labels.push(`< ${fmtEdge(ref.fineEdges[0]!)}`);
    hr.push(0);
    hc.push(curFine.under.count);
  }
  for (let k = 0; k < ref.fineCounts.length; k += group) {
    labels.push(fmtEdge(ref.fineEdges[k]!));
    let r = 0;
    let c = 0;
    for (let j = k; j < Math.min(k + group, ref.fineCounts.length); j++) {
      r += ref.fineCounts[j]!;
      c += curFine.counts[j]!;
    }
    hr.push(r);
    hc.push(c);
  }
  if (curFine.over.count > 0) {
    labels.push(`> ${fmtEdge(ref.fineEdges[ref.fineEdges.length - 1]!)}`);
    hr.push(0);
    hc.push(curFine.over.count);
  }
  const histogram = { labels, reference: shares(hr), current: shares(hc) };
  const base = { psi, unseenShare, histogram };
  const bins = ref.fineCounts.length;
  switch (method) {
    case 'ks': {
      const refSorted = o.referenceSorted ?? Float64Array.from(ref.sample).sort();
      const r = ksTwoSample(refSorted, sortedFinite(values));
      const binning = o.referenceSorted ? `raw (${r.mode} p-value)` : `reference sample of ${refSorted.length} (${r.mode} p-value)`;
      return { ...base, method, statistic: r.statistic, pValue: r.pValue, threshold: o.alpha, drifted: r.pValue < o.alpha, n: { reference: refSorted.length, current: nCur }, binning };
    }
    case 'wasserstein': {
      const w = wassersteinBinned(ref.fineEdges, refFine, curFine) / (ref.std > 0 ? ref.std : 1);
      return { ...base, method, statistic: w, threshold: DEFAULT_WASSERSTEIN_THRESHOLD, drifted: w >= DEFAULT_WASSERSTEIN_THRESHOLD, n: { reference: o.reference.count, current: nCur }, binning: `fine-${bins} (normalised by reference std)` };
    }
    case 'psi':
      return { ...base, method, statistic: psi, threshold: DEFAULT_PSI_THRESHOLD, drifted: psi >= DEFAULT_PSI_THRESHOLD, n: { reference: o.reference.count, current: nCur }, binning: 'reference deciles' };
    case 'jensen-shannon': {
      const r = [0, ...ref.fineCounts, 0];
      const c = [curFine.under.count, ...Array.from(curFine.counts), curFine.over.count];
      const js = jensenShannon(r, c);
      return { ...base, method, statistic: js, threshold: DEFAULT_JS_THRESHOLD, drifted: js >= DEFAULT_JS_THRESHOLD, n: { reference: o.reference.count, current: nCur }, binning: `fine-${bins}+tails` };
    }
    case 'chi-square': {
      const r = chiSquareHomogeneity(ref.decileCounts, curDeciles);
      return { ...base, method, statistic: r.statistic, pValue: r.pValue ?? 1, threshold: o.alpha, drifted: (r.pValue ?? 1) < o.alpha, n: { reference: o.reference.count, current: nCur }, binning: 'reference deciles' };
    }
    case 'z-test':
    case 'none':
      if (method === 'z-test') throw new BulwarkError('USAGE', `column "${o.reference.name}": the z-test needs a binary column, not ${o.reference.kind}`);
      return { ...base, method, statistic: Number.NaN, threshold: 0, drifted: false, n: { reference: o.reference.count, current: nCur }, binning: `fine-${bins}` };
    default: {
      const never: never = method;
      return never;
    }
  }
}

function categoricalResult(o: CompareColumnOptions, method: DriftMethod): ColumnBody {
  const ref = o.reference.categorical ?? { values: [], counts: [], other: 0, distinct: 0 };
  const curCounts = o.current.counts ?? new Map<string, number>();
  const known = new Map(ref.values.map((v, i) => [v, i]));
  const cur = new Array<number>(ref.values.length).fill(0);
  let unseen = o.current.other ?? 0;
  for (const [v, n] of curCounts) {
    const i = known.get(v);
    if (i === undefined) unseen += n;
    else cur[i] = cur[i]! + n;
  }
  const refAll = [...ref.counts, ref.other];
  const curAll = [...cur, unseen];
  const nRef = o.reference.count;
  const nCur = o.current.count;
  const psi = populationStabilityIndex(refAll, curAll);
  const unseenShare = nCur > 0 ? unseen / nCur : 0;
  const shown = Math.min(ref.values.length, HISTOGRAM_BINS);
  const histogram = {
    labels: [...ref.values.slice(0, shown), '(other/unseen)'],
    reference: shares([...ref.counts.slice(0, shown), nRef - ref.counts.slice(0, shown).reduce((s, x) => s + x, 0)]),
    current: shares([...cur.slice(0, shown), nCur - cur.slice(0, shown).reduce((s, x) => s + x, 0)]),
  };
  const base = { psi, unseenShare, histogram, n: { reference: nRef, current: nCur } };
  const binning = `categories-${ref.values.length}+unseen`;
  switch (method) {
    case 'chi-square': {
      const r = chiSquareHomogeneity(refAll, curAll);
      return { ...base, method, statistic: r.statistic, pValue: r.pValue ?? 1, threshold: o.alpha, drifted: (r.pValue ?? 1) < o.alpha, binning };
    }
    case 'jensen-shannon': {
      const js = jensenShannon(refAll, curAll);
      return { ...base, method, statistic: js, threshold: DEFAULT_JS_THRESHOLD, drifted: js >= DEFAULT_JS_THRESHOLD, binning: `${binning} (natural log)` };
    }
    case 'z-test': {
      const r = twoProportionZ(ref.counts[0] ?? 0, nRef, cur[0] ?? 0, nCur);
      return { ...base, method, statistic: r.statistic, pValue: r.pValue ?? 1, threshold: o.alpha, drifted: (r.pValue ?? 1) < o.alpha, binning: `share of "${ref.values[0] ?? ''}"` };
    }
    case 'psi':
      return { ...base, method, statistic: psi, threshold: DEFAULT_PSI_THRESHOLD, drifted: psi >= DEFAULT_PSI_THRESHOLD, binning };
    case 'ks':
    case 'wasserstein':
      throw new BulwarkError('USAGE', `column "${o.reference.name}": ${method} needs a numeric column, not ${o.reference.kind}`);
    case 'none':
      return { ...base, method, statistic: Number.NaN, threshold: 0, drifted: false, binning };
    default: {
      const never: never = method;
      return never;
    }
  }
}

/** Tests one column (see module comment). */
export function compareColumn(o: CompareColumnOptions): ColumnDriftResult {
  const kind = o.reference.kind;
  const method = o.method ?? defaultMethod(kind, o.reference.count, o.current.count);
  const rows = (c: { count: number; missing: number }): number => c.count + c.missing;
  const missingShare = {
    reference: rows(o.reference) > 0 ? o.reference.missing / rows(o.reference) : 0,
    current: rows(o.current) > 0 ? o.current.missing / rows(o.current) : 0,
  };
  const body = isNumericKind(kind) ? numericResult(o, method) : categoricalResult(o, method);
  return { column: o.reference.name, kind, role: o.role, ...body, missingShare };
}

/**
 * Applies the multiple-testing correction to the p-value tests: Bonferroni (p·k) or
 * Benjamini-Hochberg step-up adjusted p-values ({@link benjaminiHochbergAdjusted}); a column drifts
 * when its adjusted p-value is below alpha.
 */
export function applyCorrection(results: ColumnDriftResult[], correction: Correction, alpha: number): void {
  const tested = results.filter((r) => hasPValue(r.method) && r.pValue !== undefined && !Number.isNaN(r.pValue));
  const k = tested.length;
  if (k === 0) return;
  switch (correction) {
    case 'none':
      for (const r of tested) r.adjustedPValue = r.pValue!;
      break;
    case 'bonferroni':
      for (const r of tested) r.adjustedPValue = Math.min(1, r.pValue! * k);
      break;
    case 'bh': {
      const adjusted = benjaminiHochbergAdjusted(tested.map((r) => r.pValue!));
      tested.forEach((r, i) => (r.adjustedPValue = adjusted[i]!));
      break;
    }
    default: {
      const never: never = correction;
      throw new Error(`unknown correction ${String(never)}`);
    }
  }
  for (const r of tested) r.drifted = r.adjustedPValue! < alpha;
}
