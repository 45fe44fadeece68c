/**
 * Poisoning signals over labelled rows. Each signal is one rule; results are ranked suspicions
 * with evidence. Everything is deterministic for a given seed.
 */
import { isolationForestScores } from './isolation-forest.js';
import { binomialUpperTail, chiSquareSf, jsDistance, mad, median, sampleIndices, seededRandom } from './stats.js';
import type { PoisonInput, PoisonOptions, PoisonResult, PoisonSuspicion } from './types.js';

/** Defaults of {@link PoisonOptions}. */
export const DEFAULT_POISON_OPTIONS: Readonly<Required<PoisonOptions>> = Object.freeze({
  seed: 0x5eed,
  k: 10,
  knnDisagreement: 0.7,
  knnMaxPerClass: 20_000,
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

function knnDisagreement(input: PoisonInput, n: number, data: Float64Array, opts: Opts, rand: () => number, metrics: Record<string, number>): PoisonSuspicion[] {
  const dims = input.numeric.length;
  const cats = input.categorical;
  metrics.poison_knn_rows_flagged = 0;
  metrics.poison_knn_sampled = 0;
  if (n < 3 || dims + cats.length === 0) return [];
  // Reference set: every row, except that classes above knnMaxPerClass are sampled (seeded).
  const byClass = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const l = input.labels[i] ?? '';
    const list = byClass.get(l);
    if (list) list.push(i);
    else byClass.set(l, [i]);
  }
  const reference: number[] = [];
  for (const label of [...byClass.keys()].sort()) {
    const rows = byClass.get(label) ?? [];
    if (rows.length > opts.knnMaxPerClass) {
      metrics.poison_knn_sampled = 1;
      for (const j of sampleIndices(rows.length, opts.knnMaxPerClass, rand)) reference.push(rows[j] ?? 0);
    } else reference.push(...rows);
  }
  const k = Math.min(opts.k, reference.length - 1);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  const out: PoisonSuspicion[] = [];
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
    const own = input.labels[q] ?? '';
    let other = 0;
    let found = 0;
    const votes = new Map<string, number>();
    for (let p = 0; p < k; p++) {
      const r = bestI[p] ?? -1;
      if (r < 0) continue;
      found++;
      const l = input.labels[r] ?? '';
      votes.set(l, (votes.get(l) ?? 0) + 1);
      if (l !== own) other++;
    }
    if (found === 0) continue;
    const disagreement = other / found;
    if (disagreement < opts.knnDisagreement) continue;
    const [majority = ''] = [...votes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0] ?? [];
    const neighbours = Array.from(bestI.slice(0, Math.min(5, k))).filter((r) => r >= 0).map((r) => input.rowIds[r] ?? r);
    out.push({
      ruleId: 'BW-PSN-002',
      kind: 'knn-label-disagreement',
      score: disagreement,
      rowIds: [input.rowIds[q] ?? q],
      message: `row ${input.rowIds[q] ?? q} is labelled '${own}' but ${other} of its ${found} nearest neighbours are not (majority '${majority}')`,
      evidence: { label: own, neighbour_majority: majority, disagreement: round(disagreement), k: found, neighbours: neighbours.join(',') },
    });
  }
  metrics.poison_knn_rows_flagged = out.length;
  return out;
}

// ---------------------------------------------------------------- BW-PSN-003 / 004

function outliers(input: PoisonInput, n: number, data: Float64Array, opts: Opts, rand: () => number, metrics: Record<string, number>): PoisonSuspicion[] {
  const dims = input.numeric.length;
  const out: PoisonSuspicion[] = [];
  metrics.poison_robust_z_outliers = 0;
  metrics.poison_isolation_forest_outliers = 0;
  if (dims === 0) return out;
  const byClass = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const l = input.labels[i] ?? '';
    const list = byClass.get(l);
    if (list) list.push(i);
    else byClass.set(l, [i]);
  }
  for (const label of [...byClass.keys()].sort()) {
    const rows = byClass.get(label) ?? [];
    if (rows.length < 10) continue;
    // Robust z (Iglewicz & Hoaglin 1993): 0.6745 (x - median) / MAD on the raw values of the class.
    const worst = new Map<number, { z: number; feature: string; value: number }>();
    for (const col of input.numeric) {
      const vals = rows.map((i) => col.values[i] ?? Number.NaN);
      const med = median(vals);
      const m = mad(vals, med);
      if (!(m > 0)) continue;
      rows.forEach((i, idx) => {
        const v = vals[idx] ?? Number.NaN;
        if (!Number.isFinite(v)) return;
        const z = (0.6745 * (v - med)) / m;
        if (Math.abs(z) > opts.robustZ && Math.abs(z) > Math.abs(worst.get(i)?.z ?? 0)) worst.set(i, { z, feature: col.name, value: v });
      });
    }
    for (const [i, w] of worst) {
      metrics.poison_robust_z_outliers = (metrics.poison_robust_z_outliers ?? 0) + 1;
      out.push({
        ruleId: 'BW-PSN-003',
        kind: 'robust-z-outlier',
        score: Math.min(1, Math.abs(w.z) / (4 * opts.robustZ)),
        rowIds: [input.rowIds[i] ?? i],
        message: `row ${input.rowIds[i] ?? i}: ${w.feature} = ${w.value} has robust z-score ${round(w.z)} within class '${label}'`,
        evidence: { label, feature: w.feature, value: w.value, robust_z: round(w.z) },
      });
    }
    if (rows.length < 32) continue;
    const scores = isolationForestScores(data, dims, rows, opts.isolationTrees, opts.isolationSample, rand);
    rows.forEach((i, idx) => {
      const s = scores[idx] ?? 0;
      if (s <= opts.isolationThreshold) return;
      metrics.poison_isolation_forest_outliers = (metrics.poison_isolation_forest_outliers ?? 0) + 1;
      out.push({
        ruleId: 'BW-PSN-004',
        kind: 'isolation-forest-outlier',
        score: s,
        rowIds: [input.rowIds[i] ?? i],
        message: `row ${input.rowIds[i] ?? i} is isolated from class '${label}' (isolation-forest score ${round(s)})`,
        evidence: { label, anomaly_score: round(s) },
      });
    });
  }
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
    const dist = jsDistance(p, q);
    // Chi-square test of homogeneity on the 2 x L table (this source vs the rest).
    let chi = 0;
    let df = -1;
    for (let j = 0; j < labels.length; j++) {
      const col = (e.counts[j] ?? 0) + (rest[j] ?? 0);
      if (col === 0) continue;
      df++;
      for (const [obs, rowTotal] of [[e.counts[j] ?? 0, ns], [rest[j] ?? 0, nr]] as const) {
        const exp = (rowTotal * col) / (ns + nr);
        chi += (obs - exp) ** 2 / exp;
      }
    }
    const pValue = chiSquareSf(chi, df);
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
  const knn = knnDisagreement(input, n, data, opts, rand, metrics);
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
    ...outliers(input, n, data, opts, rand, metrics),
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
