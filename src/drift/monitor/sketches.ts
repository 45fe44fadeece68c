/**
 * Mergeable, bounded-memory summaries for streaming windows (whylogs-style profiles): moments
 * (Welford 1962, merged with Chan, Golub & LeVeque 1979), a KLL quantile sketch (Karnin, Lang &
 * Liberty 2016, "Optimal quantile approximation in streams", FOCS), and the space-saving top-k
 * counter (Metwally, Agrawal & El Abbadi 2005).
 */

/** Count, mean and M2 (sum of squared deviations). */
export interface Moments {
  n: number;
  mean: number;
  m2: number;
}

/** An empty {@link Moments}. */
export function emptyMoments(): Moments {
  return { n: 0, mean: 0, m2: 0 };
}

/** Welford's update with one value. */
export function addMoment(m: Moments, x: number): void {
  m.n++;
  const d = x - m.mean;
  m.mean += d / m.n;
  m.m2 += d * (x - m.mean);
}

/** Chan et al.'s pairwise merge: the moments of the union. */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.n === 0) return { ...b };
  if (b.n === 0) return { ...a };
  const n = a.n + b.n;
  const d = b.mean - a.mean;
  return { n, mean: a.mean + (d * b.n) / n, m2: a.m2 + b.m2 + (d * d * a.n * b.n) / n };
}

/** Population standard deviation of {@link Moments}. */
export function momentsStd(m: Moments): number {
  return m.n > 0 ? Math.sqrt(m.m2 / m.n) : Number.NaN;
}

/** Default KLL accuracy parameter (top compactor capacity): rank error ≈ 1.7/k. */
export const DEFAULT_KLL_K = 200;

/** A KLL sketch: level h holds items of weight 2^h; memory O(k). */
export interface KllSketch {
  k: number;
  levels: number[][];
  n: number;
  /** Deterministic coin for compaction (a xorshift state). */
  seed: number;
}

/** An empty KLL sketch. */
export function createKll(k = DEFAULT_KLL_K, seed = 0x9e3779b9): KllSketch {
  return { k, levels: [[]], n: 0, seed: seed >>> 0 || 1 };
}

function coin(s: KllSketch): number {
  let x = s.seed;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  s.seed = x >>> 0;
  return s.seed & 1;
}

/** Smallest compactor: below this the sorts are too frequent to pay (costs O(levels) memory, not accuracy). */
const KLL_MIN_CAPACITY = 8;

function capacity(s: KllSketch, level: number): number {
  const depth = s.levels.length - level - 1;
  return Math.max(KLL_MIN_CAPACITY, Math.ceil(s.k * (2 / 3) ** depth));
}

function compress(s: KllSketch): void {
  for (let h = 0; h < s.levels.length; h++) {
    const buf = s.levels[h]!;
    if (buf.length < capacity(s, h)) continue;
    if (h + 1 === s.levels.length) s.levels.push([]);
    // A typed-array sort has no comparator call per comparison (the monitor's hot path).
    const sorted = Float64Array.from(buf).sort();
    const even = sorted.length - (sorted.length % 2);
    const offset = coin(s);
    const up = s.levels[h + 1]!;
    for (let i = offset; i < even; i += 2) up.push(sorted[i]!);
    s.levels[h] = even < sorted.length ? [sorted[even]!] : [];
  }
}

/** Adds one value. */
export function kllAdd(s: KllSketch, x: number): void {
  s.levels[0]!.push(x);
  s.n++;
  if (s.levels[0]!.length >= capacity(s, 0)) compress(s);
}

/** Merges b into a copy of a. */
export function kllMerge(a: KllSketch, b: KllSketch): KllSketch {
  const out: KllSketch = { k: a.k, levels: a.levels.map((l) => [...l]), n: a.n + b.n, seed: a.seed ^ b.seed || 1 };
  b.levels.forEach((l, h) => {
    while (out.levels.length <= h) out.levels.push([]);
    out.levels[h]!.push(...l);
  });
  compress(out);
  return out;
}

/** Approximate quantile q ∈ [0, 1]. */
export function kllQuantile(s: KllSketch, q: number): number {
  const items: [number, number][] = [];
  s.levels.forEach((l, h) => l.forEach((x) => items.push([x, 2 ** h])));
  if (items.length === 0) return Number.NaN;
  items.sort((a, b) => a[0] - b[0]);
  const total = items.reduce((t, [, w]) => t + w, 0);
  const target = q * total;
  let acc = 0;
  for (const [x, w] of items) {
    acc += w;
    if (acc >= target) return x;
  }
  return items[items.length - 1]![0];
}

/** Space-saving heavy hitters: at most `capacity` counters, counts overestimate by at most n/capacity. */
export interface SpaceSaving {
  capacity: number;
  counts: Map<string, number>;
}

/** An empty space-saving counter. */
export function createSpaceSaving(capacity = 20): SpaceSaving {
  return { capacity, counts: new Map() };
}

/** Counts one value (evicting the minimum when full, which the newcomer inherits + 1). */
export function spaceSavingAdd(s: SpaceSaving, value: string, by = 1): void {
  const have = s.counts.get(value);
  if (have !== undefined) {
    s.counts.set(value, have + by);
    return;
  }
  if (s.counts.size < s.capacity) {
    s.counts.set(value, by);
    return;
  }
  let minKey = '';
  let min = Infinity;
  for (const [k, c] of s.counts) {
    if (c < min || (c === min && k < minKey)) {
      min = c;
      minKey = k;
    }
  }
  s.counts.delete(minKey);
  s.counts.set(value, min + by);
}

/** Merges two counters (Agarwal et al. 2012, "Mergeable summaries": add, then keep the top). */
export function spaceSavingMerge(a: SpaceSaving, b: SpaceSaving): SpaceSaving {
  const out = createSpaceSaving(a.capacity);
  const all = new Map(a.counts);
  for (const [k, c] of b.counts) all.set(k, (all.get(k) ?? 0) + c);
  [...all.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, a.capacity).forEach(([k, c]) => out.counts.set(k, c));
  return out;
}

/** The top values, most frequent first. */
export function spaceSavingTop(s: SpaceSaving, k = s.capacity): { value: string; count: number }[] {
  return [...s.counts.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, k).map(([value, count]) => ({ value, count }));
}
