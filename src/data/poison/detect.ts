/**
 * Poisoning signals over labelled rows. Each signal is one rule; results are ranked suspicions
 * with evidence. Everything is deterministic for a given seed.
 */
import { isolationForestScores } from './isolation-forest.js';
import { chiSquareHomogeneity } from '../../drift/stats/distances.js';
import { binomialLowerTail, binomialUpperTail, jsDistance, mad, median, sampleIndices, seededRandom } from './stats.js';
import type { PoisonInput, PoisonOptions, PoisonResult, PoisonSuspicion } from './types.js';

/** Defaults of {@link PoisonOptions}. */
export const DEFAULT_POISON_OPTIONS: Readonly<Required<PoisonOptions>> = Object.freeze({
  seed: 0x5eed,
  k: 10,
  knnDisagreement: 0.7,
  knnMaxPerClass: 20_000,
  knnPValue: 0.01,
  robustZ: 3.5,
  isolationThreshold: 0.7,
  isolationTrees: 100,
  isolationSample: 256,
  shiftMinRows: 30,
  shiftJsDistance: 0.2,
  shiftPValue: 0.001,
  triggerMinSupport: 5,
  triggerMaxSupportFraction: 0.05,
  triggerMinLabelShare: 0.9,
  triggerMaxBaseRate: 0.5,
  triggerPValue: 0.001,
  outlierTopRows: 20,
  maxSuspicionsPerRule: 1000,
  maxRowIdsPerSuspicion: 50,
});

type Opts = Required<PoisonOptions>;

function validate(input: PoisonInput): number {
  const n = input.labels.length;
  const cols = [...input.numeric.map((c) => c.values.length), ...input.categorical.map((c) => c.values.length), ...input.text.map((c) => c.values.length)];
  if (input.source) cols.push(input.source.values.length);
  if (input.rowIds.length !== n || cols.some((l) => l !== n)) throw new RangeError('detectPoisoning: every column must have one value per label');
  return n;
}

/** Robust scaling: (x - median) / (1.4826 MAD), falling back to the IQR-free std, then 1; missing -> 0. */
function scaledMatrix(input: PoisonInput, n: number): Float64Array {
  const dims = input.numeric.length;
  const out = new Float64Array(n * dims);
  input.numeric.forEach((col, j) => {
    const med = median(col.values);
    let scale = 1.4826 * mad(col.values, med);
    if (!(scale > 0)) {
      const finite = Array.from(col.values).filter(Number.isFinite);
      const mean = finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length);
      scale = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, finite.length)) || 1;
    }
    for (let i = 0; i < n; i++) {
      const v = col.values[i] ?? Number.NaN;
      out[i * dims + j] = Number.isFinite(v) ? (v - (Number.isFinite(med) ? med : 0)) / scale : 0;
    }
  });
  return out;
}

/** Row indices 0..n-1 by label (kNN's reference set and the per-class outliers both work class by class). */
function rowsByLabel(labels: readonly string[], n: number): Map<string, number[]> {
  const byClass = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const l = labels[i] ?? '';
    const list = byClass.get(l);
    if (list) list.push(i);
    else byClass.set(l, [i]);
  }
  return byClass;
}

function capRows(rows: number[], opts: Opts): number[] {
  return rows.slice(0, opts.maxRowIdsPerSuspicion);
}

// ---------------------------------------------------------------- BW-PSN-001

function conflictingDuplicates(input: PoisonInput, n: number, opts: Opts, metrics: Record<string, number>): PoisonSuspicion[] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const parts: string[] = [];
    for (const c of input.numeric) parts.push(String(c.values[i]));
    for (const c of input.categorical) parts.push(JSON.stringify(c.values[i] ?? null));
    for (const c of input.text) parts.push(JSON.stringify(c.values[i] ?? null));
    const key = parts.join('\u0000');
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  }
  const out: PoisonSuspicion[] = [];
  let rows = 0;
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    const counts = new Map<string, number>();
    for (const i of g) counts.set(input.labels[i] ?? '', (counts.get(input.labels[i] ?? '') ?? 0) + 1);
    if (counts.size < 2) continue;
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const [majority = '', majorityCount = 0] = ranked[0] ?? [];
    const tie = (ranked[1]?.[1] ?? 0) === majorityCount;
    // The suspects are the rows outside the majority label (all of them on a tie).
    const suspects = g.filter((i) => tie || input.labels[i] !== majority);
    rows += suspects.length;
    out.push({
      ruleId: 'BW-PSN-001',
      kind: 'conflicting-duplicates',
      score: 1 - majorityCount / g.length + (tie ? 0 : 0.5),
      rowIds: capRows(suspects.map((i) => input.rowIds[i] ?? i), opts),
      message: `${g.length} identical rows carry ${counts.size} different labels (${ranked.map(([l, c]) => `${l}: ${c}`).join(', ')})`,
      evidence: {
        group_size: g.length,
        labels: ranked.map(([l, c]) => `${l}=${c}`).join(','),
        majority_label: tie ? '' : majority,
        all_row_ids: g.slice(0, 20).map((i) => input.rowIds[i] ?? i).join(','),
      },
    });
  }
  metrics.poison_conflicting_duplicate_groups = out.length;
  metrics.poison_conflicting_duplicate_rows = rows;
  for (const s of out) s.score = Math.min(1, s.score);
  return out;
}

// ---------------------------------------------------------------- BW-PSN-002

function knnDisagreement(input: PoisonInput, n: number, byClass: ReadonlyMap<string, readonly number[]>, data: Float64Array, opts: Opts, rand: () => number, metrics: Record<string, number>): PoisonSuspicion[] {
  const dims = input.numeric.length;
  const cats = input.categorical;
  metrics.poison_knn_rows_flagged = 0;
  metrics.poison_knn_sampled = 0;
  if (n < 3 || dims + cats.length === 0) return [];
  // Reference set: every row, except that classes above knnMaxPerClass are sampled (seeded).
  const reference: number[] = [];
  for (const label of [...byClass.keys()].sort()) {
    const rows = byClass.get(label) ?? [];
    if (rows.length > opts.knnMaxPerClass) {
      metrics.poison_knn_sampled = 1;
      for (const j of sampleIndices(rows.length, opts.knnMaxPerClass, rand)) reference.push(rows[j] ?? 0);
    } else reference.push(...rows);
  }
  const k = Math.min(opts.k, reference.length - 1);
  const classes = [...byClass.keys()].sort();
  const classIndex = new Map(classes.map((l, i) => [l, i]));
  const labelIdx = Int32Array.from({ length: n }, (_, i) => classIndex.get(input.labels[i] ?? '') ?? 0);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  // Pass 1: the k nearest reference rows of every row (exact, brute force).
  const neighbours = new Int32Array(n * k).fill(-1);
  for (let q = 0; q < n; q++) {
    bestD.fill(Infinity);
    bestI.fill(-1);
    const qo = q * dims;
    for (const r of reference) {
      if (r === q) continue;
      let d = 0;
      const ro = r * dims;
      for (let j = 0; j < dims; j++) {
        const diff = (data[qo + j] ?? 0) - (data[ro + j] ?? 0);
        d += diff * diff;
      }
      // Categorical features are matched: a differing category adds 1 (one-hot distance / 2).
      for (const c of cats) if (c.values[q] !== c.values[r]) d += 1;
      if (d >= (bestD[k - 1] ?? Infinity)) continue;
      let p = k - 1;
      while (p > 0 && (bestD[p - 1] ?? Infinity) > d) {
        bestD[p] = bestD[p - 1] ?? Infinity;
        bestI[p] = bestI[p - 1] ?? -1;
        p--;
      }
      bestD[p] = d;
      bestI[p] = r;
    }
    neighbours.set(bestI, q * k);
  }
  // kNN estimate of p(class | x): the share of the row's neighbours carrying the class.
  const L = classes.length;
  const found = new Int32Array(n);
  const votes = new Int32Array(n * L);
  for (let q = 0; q < n; q++) {
    for (let p = 0; p < k; p++) {
      const r = neighbours[q * k + p] ?? -1;
      if (r < 0) continue;
      found[q] = (found[q] ?? 0) + 1;
      const v = q * L + (labelIdx[r] ?? 0);
      votes[v] = (votes[v] ?? 0) + 1;
    }
  }
  const prob = (q: number, c: number): number => ((votes[q * L + c] ?? 0) / Math.max(1, found[q] ?? 0));
  // Per-class thresholds (Northcutt, Jiang & Chuang 2021, "Confident Learning", JAIR 70, eq. 2):
  // t_c = the average self-confidence p(c | x) over the rows labelled c. On imbalanced labels a rare
  // class has a low t_c, so a rare row among majority neighbours is not unusual for its class.
  const selfConfidence: number[][] = Array.from({ length: L }, () => []);
  for (let q = 0; q < n; q++) if ((found[q] ?? 0) > 0) selfConfidence[labelIdx[q] ?? 0]?.push(prob(q, labelIdx[q] ?? 0));
  // The mean is CL's threshold; poison concentrated in a small class (2% of all rows flipped into a 5%
  // class) drags that class's mean down and would hide the poison, so the threshold is the larger of
  // the mean and the median (the median holds until half the class is flipped).
  const threshold = selfConfidence.map((v) => (v.length === 0 ? 0 : Math.max(v.reduce((a, b) => a + b, 0) / v.length, median(v))));
  metrics.poison_knn_min_class_threshold = round(Math.min(...threshold));
  const out: PoisonSuspicion[] = [];
  for (let q = 0; q < n; q++) {
    const m = found[q] ?? 0;
    if (m === 0) continue;
    const y = labelIdx[q] ?? 0;
    const own = prob(q, y);
    const disagreement = 1 - own;
    if (disagreement < opts.knnDisagreement) continue;
    const ty = threshold[y] ?? 0;
    // Confident learning's per-class cut: below its own class's threshold. (Its second condition, another
    // class at or above that class's threshold, is left out: with k = 10 votes a row with 9 of 10
    // neighbours of a class whose threshold is 0.95 would escape it.)
    if (!(own < ty)) continue;
    let majority = y === 0 ? 1 : 0;
    for (let c = 0; c < L; c++) if (c !== y && prob(q, c) > prob(q, majority)) majority = c;
    // How unlikely are so few own-label neighbours for a row of this class? Binomial lower tail of the
    // own-label count at success rate min(t_y, 0.9) (a neighbourhood is never assumed purer than 90%:
    // one or two stray neighbours are ordinary), Bonferroni-corrected over the n rows tested.
    // Neighbours are not independent draws, so this is a calibrated score, not an exact p-value; it is
    // what keeps a rare class that is not separable (t_y low) quiet.
    const ownCount = votes[q * L + y] ?? 0;
    const pValue = Math.min(1, binomialLowerTail(ownCount, m, Math.min(ty, 0.9)) * n);
    if (pValue >= opts.knnPValue) continue;
    const ownLabel = classes[y] ?? '';
    const majorityLabel = classes[majority] ?? '';
    const near = Array.from(neighbours.subarray(q * k, q * k + Math.min(5, k))).filter((r) => r >= 0).map((r) => input.rowIds[r] ?? r);
    out.push({
      ruleId: 'BW-PSN-002',
      kind: 'knn-label-disagreement',
      score: disagreement,
      rowIds: [input.rowIds[q] ?? q],
      message: `row ${input.rowIds[q] ?? q} is labelled '${ownLabel}' but ${m - ownCount} of its ${m} nearest neighbours are not (majority '${majorityLabel}'; rows labelled '${ownLabel}' average ${round(ty * 100)}% own-label neighbours)`,
      evidence: { label: ownLabel, neighbour_majority: majorityLabel, disagreement: round(disagreement), k: m, class_threshold: round(ty), p_value: pValue, neighbours: near.join(',') },
    });
  }
  metrics.poison_knn_rows_flagged = out.length;
  return out;
}

// ---------------------------------------------------------------- BW-PSN-003 / 004

/** log1p for columns whose finite values are all >= 0 (amounts, counts, ages): heavy right tails become near-symmetric. */
function logScaled(values: Float64Array): Float64Array | undefined {
  for (const v of values) if (Number.isFinite(v) && v < 0) return undefined;
  return values.map((v) => (Number.isFinite(v) ? Math.log1p(v) : Number.NaN));
}

/** Robust z (Iglewicz & Hoaglin 1993): 0.6745 (x - median) / MAD over the class's rows; NaN where undefined. */
function robustZ(values: Float64Array, rows: readonly number[]): Float64Array {
  const vals = rows.map((i) => values[i] ?? Number.NaN);
  const med = median(vals);
  const m = mad(vals, med);
  return Float64Array.from(vals, (v) => (m > 0 && Number.isFinite(v) ? (0.6745 * (v - med)) / m : Number.NaN));
}

/**
 * Outliers are not poisoning evidence on their own (a rare genuine transaction is an outlier too): they
 * are reported as ONE low-severity suspicion per class and column (robust z) or per class (isolation
 * forest) naming at most `outlierTopRows` rows, strongest first, for review.
 */
function outliers(input: PoisonInput, n: number, byClass: ReadonlyMap<string, readonly number[]>, opts: Opts, rand: () => number, metrics: Record<string, number>): PoisonSuspicion[] {
  const dims = input.numeric.length;
  const out: PoisonSuspicion[] = [];
  metrics.poison_robust_z_outliers = 0;
  metrics.poison_isolation_forest_outliers = 0;
  if (dims === 0) return out;
  const logs = input.numeric.map((c) => logScaled(c.values));
  // The isolation forest sees the log1p of non-negative columns, robust-scaled: a log-normal amount
  // is then no longer "isolated" merely for sitting in its long tail.
  const forestInput: PoisonInput = { ...input, numeric: input.numeric.map((c, j) => ({ name: c.name, values: logs[j] ?? c.values })) };
  const data = scaledMatrix(forestInput, n);
  const zRows = new Set<number>();
  for (const label of [...byClass.keys()].sort()) {
    const rows = byClass.get(label) ?? [];
    if (rows.length < 10) continue;
    input.numeric.forEach((col, j) => {
      // A value is an outlier when it is extreme on the raw scale AND, for a non-negative column, on
      // the log scale too: the far tail of a heavy-tailed (log-normal, Pareto-like) feature is extreme
      // only on the raw scale; a planted 500 among values 10..14 is extreme on both.
      const raw = robustZ(col.values, rows);
      const logCol = logs[j];
      const onLog = logCol ? robustZ(logCol, rows) : undefined;
      const hits: { i: number; z: number; value: number }[] = [];
      rows.forEach((i, idx) => {
        const z = raw[idx] ?? Number.NaN;
        if (!(Math.abs(z) > opts.robustZ)) return;
        if (onLog && !(Math.abs(onLog[idx] ?? Number.NaN) > opts.robustZ)) return;
        hits.push({ i, z: onLog ? (onLog[idx] ?? z) : z, value: col.values[i] ?? Number.NaN });
      });
      if (hits.length === 0) return;
      for (const h of hits) zRows.add(h.i);
      hits.sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.i - b.i);
      const top = hits.slice(0, opts.outlierTopRows);
      const first = top[0] ?? { i: 0, z: 0, value: 0 };
      out.push({
        ruleId: 'BW-PSN-003',
        kind: 'robust-z-outlier',
        score: Math.min(1, Math.abs(first.z) / (4 * opts.robustZ)),
        rowIds: capRows(top.map((h) => input.rowIds[h.i] ?? h.i), opts),
        message: `${hits.length} row(s) of class '${label}' have ${col.name} far outside the class (robust z beyond ${opts.robustZ}${onLog ? ' on the raw and log scales' : ''}); strongest: row ${input.rowIds[first.i] ?? first.i}, ${col.name} = ${first.value} (z ${round(first.z)})`,
        evidence: { label, feature: col.name, outlier_rows: hits.length, listed_rows: top.length, max_robust_z: round(first.z), log_scale: onLog !== undefined, values: top.slice(0, 10).map((h) => h.value).join(',') },
      });
    });
    if (rows.length < 32) continue;
    const scores = isolationForestScores(data, dims, rows, opts.isolationTrees, opts.isolationSample, rand);
    const hits: { i: number; s: number }[] = [];
    rows.forEach((i, idx) => {
      const sc = scores[idx] ?? 0;
      if (sc > opts.isolationThreshold) hits.push({ i, s: sc });
    });
    if (hits.length === 0) continue;
    metrics.poison_isolation_forest_outliers = (metrics.poison_isolation_forest_outliers ?? 0) + hits.length;
    hits.sort((a, b) => b.s - a.s || a.i - b.i);
    const top = hits.slice(0, opts.outlierTopRows);
    const first = top[0] ?? { i: 0, s: 0 };
    out.push({
      ruleId: 'BW-PSN-004',
      kind: 'isolation-forest-outlier',
      score: first.s,
      rowIds: capRows(top.map((h) => input.rowIds[h.i] ?? h.i), opts),
      message: `${hits.length} row(s) of class '${label}' are isolated from the class (isolation-forest score above ${opts.isolationThreshold}); strongest: row ${input.rowIds[first.i] ?? first.i} (score ${round(first.s)})`,
      evidence: { label, outlier_rows: hits.length, listed_rows: top.length, max_anomaly_score: round(first.s), anomaly_scores: top.slice(0, 10).map((h) => round(h.s)).join(',') },
    });
  }
  metrics.poison_robust_z_outliers = zRows.size;
  return out;
}

// ---------------------------------------------------------------- BW-PSN-005

function labelShift(input: PoisonInput, n: number, opts: Opts, metrics: Record<string, number>): PoisonSuspicion[] {
  metrics.poison_label_shift_sources = 0;
  const src = input.source;
  if (!src) return [];
  const labels = [...new Set(input.labels)].sort();
  const li = new Map(labels.map((l, i) => [l, i]));
  const total = new Array<number>(labels.length).fill(0);
  const bySource = new Map<string, { counts: number[]; rows: number[] }>();
  for (let i = 0; i < n; i++) {
    const l = li.get(input.labels[i] ?? '') ?? 0;
    total[l] = (total[l] ?? 0) + 1;
    const s = src.values[i];
    if (s === null || s === undefined) continue;
    let e = bySource.get(s);
    if (!e) bySource.set(s, (e = { counts: new Array<number>(labels.length).fill(0), rows: [] }));
    e.counts[l] = (e.counts[l] ?? 0) + 1;
    e.rows.push(i);
  }
  const out: PoisonSuspicion[] = [];
  for (const s of [...bySource.keys()].sort()) {
    const e = bySource.get(s);
    if (!e || e.rows.length < opts.shiftMinRows || e.rows.length === n) continue;
    const rest = total.map((t, i) => t - (e.counts[i] ?? 0));
    const ns = e.rows.length;
    const nr = rest.reduce((a, b) => a + b, 0);
    if (nr === 0) continue;
    const p = e.counts.map((c) => c / ns);
    const q = rest.map((c) => c / nr);
    const dist = jsDistance(e.counts, rest);
    // Chi-square test of homogeneity on the 2 x L table (this source vs the rest); with one label
    // seen (df 0) no test is possible and the p-value is 1, so no shift is claimed.
    const { statistic: chi, pValue = 1 } = chiSquareHomogeneity(e.counts, rest);
    if (dist < opts.shiftJsDistance || pValue >= opts.shiftPValue) continue;
    metrics.poison_label_shift_sources = (metrics.poison_label_shift_sources ?? 0) + 1;
    const fmt = (d: number[]): string => labels.map((l, i) => `${l}=${round(d[i] ?? 0)}`).join(',');
    out.push({
      ruleId: 'BW-PSN-005',
      kind: 'label-shift',
      score: dist,
      rowIds: capRows(e.rows.map((i) => input.rowIds[i] ?? i), opts),
      message: `${src.name} '${s}' (${ns} rows) has a different label mix from the other sources (JS distance ${round(dist)}, chi-square p ${pValue.toExponential(2)})`,
      evidence: { source_column: src.name, source: s, rows: ns, js_distance: round(dist), chi_square: round(chi), p_value: pValue, source_labels: fmt(p), other_labels: fmt(q) },
    });
  }
  return out;
}

// ---------------------------------------------------------------- BW-PSN-006

/** Tokens of a text value: lower-cased runs of letters/digits/_, plus runs of other non-space symbols (emoji, punctuation triggers). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]+|[^\p{L}\p{N}_\s]+/gu) ?? [];
}

function triggerTokens(input: PoisonInput, n: number, opts: Opts, metrics: Record<string, number>): PoisonSuspicion[] {
  metrics.poison_trigger_tokens = 0;
  // token key -> rows (each row once)
  const occurrences = new Map<string, number[]>();
  const add = (key: string, row: number): void => {
    const list = occurrences.get(key);
    if (!list) occurrences.set(key, [row]);
    else if (list[list.length - 1] !== row) list.push(row);
  };
  for (const c of input.text) {
    for (let i = 0; i < n; i++) {
      const v = c.values[i];
      if (v === null || v === undefined) continue;
      for (const t of new Set(tokenize(v.slice(0, 100_000)))) add(`${c.name}\u0000${t}`, i);
    }
  }
  for (const c of input.categorical) {
    for (let i = 0; i < n; i++) {
      const v = c.values[i];
      if (v !== null && v !== undefined) add(`${c.name}\u0000=${v}`, i);
    }
  }
  const base = new Map<string, number>();
  for (const l of input.labels) base.set(l, (base.get(l) ?? 0) + 1);
  const maxSupport = Math.max(opts.triggerMinSupport, Math.floor(opts.triggerMaxSupportFraction * n));
  const candidates: { key: string; rows: number[]; label: string; count: number; rate: number }[] = [];
  for (const [key, rows] of occurrences) {
    if (rows.length < opts.triggerMinSupport || rows.length > maxSupport) continue;
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(input.labels[r] ?? '', (counts.get(input.labels[r] ?? '') ?? 0) + 1);
    for (const [label, count] of counts) {
      const rate = (base.get(label) ?? 0) / n;
      if (count / rows.length >= opts.triggerMinLabelShare && rate <= opts.triggerMaxBaseRate) candidates.push({ key, rows, label, count, rate });
    }
  }
  const tested = Math.max(1, occurrences.size);
  const out: PoisonSuspicion[] = [];
  for (const c of candidates) {
    const p = binomialUpperTail(c.count, c.rows.length, c.rate);
    const corrected = Math.min(1, p * tested);
    if (corrected >= opts.triggerPValue) continue;
    const [column = '', token = ''] = c.key.split('\u0000');
    const share = c.count / c.rows.length;
    metrics.poison_trigger_tokens = (metrics.poison_trigger_tokens ?? 0) + 1;
    out.push({
      ruleId: 'BW-PSN-006',
      kind: 'trigger-token',
      score: Math.min(1, -Math.log10(Math.max(corrected, 1e-300)) / 30),
      rowIds: capRows(c.rows.filter((r) => input.labels[r] === c.label).map((r) => input.rowIds[r] ?? r), opts),
      message: `${token.startsWith('=') ? `value '${token.slice(1)}'` : `token '${token}'`} in ${column} appears in ${c.rows.length} rows, ${round(share * 100)}% labelled '${c.label}' (base rate ${round(c.rate * 100)}%)`,
      evidence: { column, token: token.startsWith('=') ? token.slice(1) : token, kind: token.startsWith('=') ? 'value' : 'token', support: c.rows.length, label: c.label, label_share: round(share), base_rate: round(c.rate), lift: round(share / c.rate), p_value: corrected },
    });
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Runs every poisoning signal over labelled rows and returns ranked suspicions (strongest first,
 * at most `maxSuspicionsPerRule` per rule) and flat metrics. Deterministic for a given seed.
 * Throws RangeError when the columns and labels differ in length (a caller bug, not bad data).
 */
export function detectPoisoning(input: PoisonInput, options: PoisonOptions = {}): PoisonResult {
  const opts: Opts = { ...DEFAULT_POISON_OPTIONS, ...options };
  const n = validate(input);
  const metrics: Record<string, number> = { poison_rows: n, poison_labels: new Set(input.labels).size };
  const rand = seededRandom(opts.seed);
  const data = scaledMatrix(input, n);
  const duplicates = conflictingDuplicates(input, n, opts, metrics);
  const byClass = rowsByLabel(input.labels, n);
  const knn = knnDisagreement(input, n, byClass, data, opts, rand, metrics);
  // A tied duplicate group (one row per label) cannot say which copy is wrong; when kNN flags some
  // of its rows, those are the suspects (the others agree with their neighbourhood).
  const knnRows = new Set(knn.flatMap((s) => s.rowIds));
  for (const d of duplicates) {
    if (d.evidence.majority_label !== '') continue;
    const narrowed = d.rowIds.filter((r) => knnRows.has(r));
    if (narrowed.length > 0 && narrowed.length < d.rowIds.length) {
      d.rowIds = narrowed;
      d.evidence.resolved_by = 'knn-label-disagreement';
    }
  }
  const all = [
    ...duplicates,
    ...knn,
    ...outliers(input, n, byClass, opts, rand, metrics),
    ...labelShift(input, n, opts, metrics),
    ...triggerTokens(input, n, opts, metrics),
  ];
  const perRule = new Map<string, PoisonSuspicion[]>();
  for (const s of all) {
    const list = perRule.get(s.ruleId);
    if (list) list.push(s);
    else perRule.set(s.ruleId, [s]);
  }
  const order = (a: PoisonSuspicion, b: PoisonSuspicion): number => b.score - a.score || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) || (a.rowIds[0] ?? 0) - (b.rowIds[0] ?? 0) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
  const kept = [...perRule.values()].flatMap((list) => list.sort(order).slice(0, opts.maxSuspicionsPerRule));
  kept.sort(order);
  metrics.poison_suspicions = all.length;
  return { suspicions: kept, metrics };
}

/** Rows a set of suspicions points at (for review queues and the planted-poison benchmark). */
export function suspectedRows(suspicions: readonly PoisonSuspicion[], ruleIds?: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const s of suspicions) if (ruleIds === undefined || ruleIds.includes(s.ruleId)) for (const r of s.rowIds) out.add(r);
  return out;
}
