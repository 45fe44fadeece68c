/**
 * Streaming drift monitor over prediction logs (JSON Lines, one object per event). Events fill
 * panes of `slide` events; a window is the merge of the last window/slide panes (tumbling when
 * slide = window), so state is bounded and mergeable: counts on the reference's fine bins and
 * categories, moments, a KLL quantile sketch and a space-saving top-k of unseen values per column.
 *
 * Thresholds account for the window size as NannyML does (reference chunks → mean + 3 std): from a
 * profile we cannot re-read the raw reference, so we bootstrap {@link DEFAULT_REPLAYS} windows of the
 * same size from the profile's sample (numeric) or frequencies (categorical), seeded, and alert when
 * a window's statistic exceeds mean + {@link DEFAULT_SIGMAS}·std. An alert needs m breaches in the
 * last n windows and is followed by a cooldown of `cooldown` windows.
 */
import { BulwarkError } from '../../errors.js';
import { seededRandom } from '../../stats/random.js';
import { fineBinIndex } from '../profile.js';
import { jensenShannon, wassersteinBinned, type BinnedSample } from '../stats/index.js';
import type { ColumnProfile, DriftProfile } from '../types.js';
import {
  addMoment,
  createKll,
  createSpaceSaving,
  emptyMoments,
  kllAdd,
  kllMerge,
  kllQuantile,
  mergeMoments,
  momentsStd,
  spaceSavingAdd,
  spaceSavingMerge,
  spaceSavingTop,
  type KllSketch,
  type Moments,
  type SpaceSaving,
} from './sketches.js';

/** Events per window. */
export const DEFAULT_WINDOW = 1000;
/** Breaches needed (m) among the last n windows. */
export const DEFAULT_M = 3;
/** Windows looked back on (n). */
export const DEFAULT_N = 5;
/** Windows without a new alert for a column after it alerted. */
export const DEFAULT_COOLDOWN = 5;
/** Bootstrap windows replayed from the reference to set each threshold. */
export const DEFAULT_REPLAYS = 60;
/** Threshold = mean + this many std of the replayed statistic. */
export const DEFAULT_SIGMAS = 3;

/** Options of {@link createMonitor}. */
export interface MonitorOptions {
  profile: DriftProfile;
  window?: number;
  /** Events between evaluations; default: the window (tumbling). Must divide the window. */
  slide?: number;
  m?: number;
  n?: number;
  cooldown?: number;
  /** Columns to watch (default: every continuous, binary, categorical and high-cardinality column). */
  columns?: readonly string[];
  replays?: number;
  /** Milliseconds since the epoch (injected for tests). */
  clock?: () => number;
  onWindow?: (evaluation: WindowEvaluation) => void | Promise<void>;
  onAlert?: (alert: DriftAlert) => void | Promise<void>;
}

/** One column in one window. */
export interface ColumnWindowResult {
  column: string;
  /**
   * Normalised Wasserstein (numeric), Jensen-Shannon distance (categorical), or for a score column
   * in [0, 1] (`<column>:high_confidence_share`) |share of max(s, 1 − s) ≥ 0.9 − the reference share|.
   */
  method: 'wasserstein' | 'jensen-shannon' | 'confidence-share';
  statistic: number;
  threshold: number;
  breach: boolean;
  values: number;
  missing: number;
  invalid: number;
  mean?: number;
  std?: number;
  p50?: number;
  p95?: number;
  unseenShare?: number;
  topUnseen?: { value: string; count: number }[];
  highConfidenceShare?: number;
}

/** An evaluated window (one JSON line on stdout). */
export interface WindowEvaluation {
  type: 'window';
  index: number;
  /** Event numbers [first, last] of the window (0-based, valid events only). */
  first: number;
  last: number;
  time: string;
  malformed: number;
  columns: ColumnWindowResult[];
}

/** An alert after m-of-n breaches (one JSON line; what the webhook posts). */
export interface DriftAlert {
  type: 'alert';
  column: string;
  window: number;
  statistic: number;
  threshold: number;
  breaches: number;
  of: number;
  time: string;
}

/** Counters of a monitor run. */
export interface MonitorStats {
  events: number;
  malformed: number;
  windows: number;
  alerts: number;
}

/** A running monitor. */
export interface Monitor {
  /** Feeds one raw log line (malformed lines are counted, never thrown). */
  pushLine(line: string): Promise<void>;
  /** Feeds one parsed event. */
  pushEvent(event: unknown): Promise<void>;
  readonly stats: MonitorStats;
  /** Per-column thresholds from the reference replay. */
  readonly thresholds: Readonly<Record<string, { mean: number; std: number; threshold: number }>>;
}

type ColumnState =
  | { kind: 'numeric'; bins: Float64Array; under: { count: number; sumDistance: number }; over: { count: number; sumDistance: number }; moments: Moments; kll: KllSketch; missing: number; invalid: number }
  | { kind: 'categorical'; counts: Float64Array; unseen: number; unseenTop: SpaceSaving; missing: number; invalid: number }
  | { kind: 'confidence'; high: number; total: number; missing: number; invalid: number };

interface Watched {
  /** The name alerts and metrics use (`<column>:high_confidence_share` for confidence). */
  name: string;
  profile: ColumnProfile;
  kind: 'numeric' | 'categorical' | 'confidence';
  index: Map<string, number>;
  /** The reference side of {@link statistic}, built once: the fine bins of a numeric column... */
  refBins?: BinnedSample;
  /** ... or the category counts and `other` of a categorical one. */
  refCounts?: readonly number[];
}

function emptyState(w: Watched): ColumnState {
  if (w.kind === 'confidence') return { kind: 'confidence', high: 0, total: 0, missing: 0, invalid: 0 };
  if (w.kind === 'numeric') {
    return { kind: 'numeric', bins: new Float64Array(w.profile.numeric!.fineCounts.length), under: { count: 0, sumDistance: 0 }, over: { count: 0, sumDistance: 0 }, moments: emptyMoments(), kll: createKll(), missing: 0, invalid: 0 };
  }
  return { kind: 'categorical', counts: new Float64Array(w.profile.categorical!.values.length), unseen: 0, unseenTop: createSpaceSaving(), missing: 0, invalid: 0 };
}

/** Counts a finite value on the reference's fine bins (the tails keep their distance sums). */
function binNumeric(w: Watched, s: Extract<ColumnState, { kind: 'numeric' }>, x: number): void {
  const edges = w.profile.numeric!.fineEdges;
  const lo = edges[0]!;
  const hi = edges[edges.length - 1]!;
  if (x < lo) {
    s.under.count++;
    s.under.sumDistance += lo - x;
  } else if (x > hi) {
    s.over.count++;
    s.over.sumDistance += x - hi;
  } else {
    const k = fineBinIndex(edges, x);
    s.bins[k] = s.bins[k]! + 1;
  }
}

function addValue(w: Watched, s: ColumnState, value: unknown): void {
  if (value === undefined || value === null) {
    s.missing++;
    return;
  }
  if (s.kind === 'confidence') {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      s.invalid++;
      return;
    }
    s.total++;
    if (Math.max(value, 1 - value) >= w.profile.numeric!.highConfidence!.threshold) s.high++;
    return;
  }
  if (s.kind === 'numeric') {
    const x = typeof value === 'number' ? value : typeof value === 'boolean' ? Number(value) : Number.NaN;
    if (!Number.isFinite(x)) {
      s.invalid++;
      return;
    }
    binNumeric(w, s, x);
    addMoment(s.moments, x);
    kllAdd(s.kll, x);
    return;
  }
  if (typeof value === 'object') {
    s.invalid++;
    return;
  }
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    s.invalid++;
    return;
  }
  const key = String(value);
  const i = w.index.get(key);
  if (i === undefined) {
    s.unseen++;
    spaceSavingAdd(s.unseenTop, key);
  } else s.counts[i] = s.counts[i]! + 1;
}

function mergeStates(a: ColumnState, b: ColumnState): ColumnState {
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    const bins = Float64Array.from(a.bins, (v, i) => v + b.bins[i]!);
    return {
      kind: 'numeric',
      bins,
      under: { count: a.under.count + b.under.count, sumDistance: a.under.sumDistance + b.under.sumDistance },
      over: { count: a.over.count + b.over.count, sumDistance: a.over.sumDistance + b.over.sumDistance },
      moments: mergeMoments(a.moments, b.moments),
      kll: kllMerge(a.kll, b.kll),
      missing: a.missing + b.missing,
      invalid: a.invalid + b.invalid,
    };
  }
  if (a.kind === 'confidence' && b.kind === 'confidence') {
    return { kind: 'confidence', high: a.high + b.high, total: a.total + b.total, missing: a.missing + b.missing, invalid: a.invalid + b.invalid };
  }
  if (a.kind === 'categorical' && b.kind === 'categorical') {
    return { kind: 'categorical', counts: Float64Array.from(a.counts, (v, i) => v + b.counts[i]!), unseen: a.unseen + b.unseen, unseenTop: spaceSavingMerge(a.unseenTop, b.unseenTop), missing: a.missing + b.missing, invalid: a.invalid + b.invalid };
  }
  throw new BulwarkError('INTERNAL', 'monitor: mismatched column states');
}

function statistic(w: Watched, s: ColumnState): number {
  if (s.kind === 'confidence') {
    const ref = w.profile.numeric!.highConfidence!.count / w.profile.count;
    return s.total > 0 ? Math.abs(s.high / s.total - ref) : 0;
  }
  if (s.kind === 'numeric') {
    const num = w.profile.numeric!;
    const total = s.under.count + s.over.count + s.bins.reduce((t, v) => t + v, 0);
    const cur: BinnedSample = { counts: s.bins, under: s.under, over: s.over, total };
    return wassersteinBinned(num.fineEdges, w.refBins!, cur) / (num.std > 0 ? num.std : 1);
  }
  return jensenShannon(w.refCounts!, [...s.counts, s.unseen]);
}

function valuesIn(s: ColumnState): number {
  if (s.kind === 'confidence') return s.total;
  return s.kind === 'numeric' ? s.moments.n : s.counts.reduce((t, v) => t + v, 0) + s.unseen;
}

/** Bootstrap windows of `size` from the reference: mean and std of the statistic. */
function replay(w: Watched, size: number, replays: number, seed: number): { mean: number; std: number } {
  const rand = seededRandom(seed);
  const stats: number[] = [];
  const sample = w.profile.numeric?.sample ?? [];
  const categories = w.profile.categorical?.values ?? [];
  const cum: number[] = [];
  let acc = 0;
  for (const c of w.refCounts ?? []) cum.push((acc += c));
  for (let r = 0; r < replays; r++) {
    const s = emptyState(w);
    for (let i = 0; i < size; i++) {
      if (s.kind === 'numeric') {
        // Only the bins enter the statistic: the moments and the KLL sketch of addValue are skipped.
        const x = sample[Math.floor(rand() * sample.length)]!;
        if (Number.isFinite(x)) binNumeric(w, s, x);
      } else if (s.kind === 'confidence') addValue(w, s, sample[Math.floor(rand() * sample.length)]);
      else {
        const u = rand() * cum[cum.length - 1]!;
        let lo = 0;
        let hi = cum.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cum[mid]! > u) hi = mid;
          else lo = mid + 1;
        }
        // The reference's `other` mass (beyond its top-k) is what a window sees as unseen.
        if (lo < categories.length) addValue(w, s, categories[lo]);
        else s.unseen++;
      }
    }
    stats.push(statistic(w, s));
  }
  const mean = stats.reduce((t, x) => t + x, 0) / stats.length;
  const std = Math.sqrt(stats.reduce((t, x) => t + (x - mean) ** 2, 0) / Math.max(1, stats.length - 1));
  return { mean, std };
}

/** Starts a monitor (see module comment). Thresholds are computed here, once. */
export function createMonitor(options: MonitorOptions): Monitor {
  const window = options.window ?? DEFAULT_WINDOW;
  const slide = options.slide ?? window;
  const m = options.m ?? DEFAULT_M;
  const n = options.n ?? DEFAULT_N;
  const cooldown = options.cooldown ?? DEFAULT_COOLDOWN;
  const clock = options.clock ?? (() => 0);
  if (!Number.isInteger(window) || window < 1) throw new BulwarkError('USAGE', `--window must be a positive integer, got ${window}`);
  if (!Number.isInteger(slide) || slide < 1 || window % slide !== 0) throw new BulwarkError('USAGE', `--slide must be a positive integer that divides the window (${window}), got ${slide}`);
  if (!(Number.isInteger(m) && Number.isInteger(n) && m >= 1 && n >= m)) throw new BulwarkError('USAGE', `--m and --n must be integers with 1 <= m <= n, got m=${m} n=${n}`);
  const wanted = options.columns ? new Set(options.columns) : undefined;
  const watched: Watched[] = [];
  for (const c of options.profile.columns) {
    if (wanted && !wanted.has(c.name)) continue;
    if (c.kind === 'continuous' && c.numeric && c.numeric.fineEdges.length > 0 && c.numeric.sample.length > 0) {
      const refBins = { counts: c.numeric.fineCounts, under: { count: 0, sumDistance: 0 }, over: { count: 0, sumDistance: 0 }, total: c.count };
      watched.push({ name: c.name, profile: c, kind: 'numeric', index: new Map(), refBins });
      // A score column (inside [0, 1]) is also watched for spikes or drops in confident predictions.
      if (c.numeric.highConfidence) watched.push({ name: `${c.name}:high_confidence_share`, profile: c, kind: 'confidence', index: new Map() });
    } else if ((c.kind === 'binary' || c.kind === 'categorical' || c.kind === 'high-cardinality') && c.categorical) {
      watched.push({ name: c.name, profile: c, kind: 'categorical', index: new Map(c.categorical.values.map((v, i) => [v, i])), refCounts: [...c.categorical.counts, c.categorical.other] });
    }
  }
  if (wanted) {
    const missing = [...wanted].filter((c) => !watched.some((w) => w.profile.name === c));
    if (missing.length > 0) throw new BulwarkError('USAGE', `the profile has no monitorable column(s) ${missing.join(', ')}`);
  }
  const thresholds: Record<string, { mean: number; std: number; threshold: number }> = {};
  watched.forEach((w, i) => {
    const r = replay(w, window, options.replays ?? DEFAULT_REPLAYS, 0x5eed + i);
    thresholds[w.name] = { ...r, threshold: r.mean + DEFAULT_SIGMAS * r.std };
  });
  const panesPerWindow = window / slide;
  const panes: ColumnState[][] = [];
  let pane = watched.map(emptyState);
  let inPane = 0;
  const stats: MonitorStats = { events: 0, malformed: 0, windows: 0, alerts: 0 };
  const history = watched.map(() => [] as boolean[]);
  const cooling = watched.map(() => 0);

  async function evaluate(): Promise<void> {
    const merged = watched.map((_, c) => panes.map((p) => p[c]!).reduce((a, b) => mergeStates(a, b)));
    const index = stats.windows++;
    const time = new Date(clock()).toISOString();
    const columns: ColumnWindowResult[] = [];
    const alerts: DriftAlert[] = [];
    watched.forEach((w, c) => {
      const s = merged[c]!;
      const t = thresholds[w.name]!;
      const stat = statistic(w, s);
      const breach = stat > t.threshold;
      const method = s.kind === 'numeric' ? 'wasserstein' : s.kind === 'categorical' ? 'jensen-shannon' : 'confidence-share';
      const r: ColumnWindowResult = { column: w.name, method, statistic: stat, threshold: t.threshold, breach, values: valuesIn(s), missing: s.missing, invalid: s.invalid };
      if (s.kind === 'numeric') {
        r.mean = s.moments.mean;
        r.std = momentsStd(s.moments);
        r.p50 = kllQuantile(s.kll, 0.5);
        r.p95 = kllQuantile(s.kll, 0.95);
      } else if (s.kind === 'confidence') {
        r.highConfidenceShare = s.total > 0 ? s.high / s.total : 0;
      } else {
        const total = valuesIn(s);
        r.unseenShare = total > 0 ? s.unseen / total : 0;
        r.topUnseen = spaceSavingTop(s.unseenTop, 5);
      }
      columns.push(r);
      const h = history[c]!;
      h.push(breach);
      if (h.length > n) h.shift();
      const breaches = h.filter(Boolean).length;
      // The `cooldown` windows after an alert raise none for that column, breaching or not.
      if (breach && breaches >= m && cooling[c] === 0) {
        cooling[c] = cooldown;
        alerts.push({ type: 'alert', column: w.name, window: index, statistic: stat, threshold: t.threshold, breaches, of: h.length, time });
      } else if (cooling[c]! > 0) cooling[c] = cooling[c]! - 1;
    });
    const last = stats.events - 1;
    await options.onWindow?.({ type: 'window', index, first: last - window + 1, last, time, malformed: stats.malformed, columns });
    for (const a of alerts) {
      stats.alerts++;
      await options.onAlert?.(a);
    }
  }

  async function pushEvent(event: unknown): Promise<void> {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      stats.malformed++;
      return;
    }
    const record = event as Record<string, unknown>;
    watched.forEach((w, c) => addValue(w, pane[c]!, Object.hasOwn(record, w.profile.name) ? record[w.profile.name] : undefined));
    stats.events++;
    if (++inPane < slide) return;
    panes.push(pane);
    if (panes.length > panesPerWindow) panes.shift();
    pane = watched.map(emptyState);
    inPane = 0;
    if (panes.length === panesPerWindow) await evaluate();
  }

  return {
    stats,
    thresholds,
    pushEvent,
    async pushLine(line: string): Promise<void> {
      const text = line.trim();
      if (text === '') return;
      let event: unknown;
      try {
        event = JSON.parse(text);
      } catch {
        stats.malformed++;
        return;
      }
      await pushEvent(event);
    },
  };
}
