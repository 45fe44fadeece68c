#!/usr/bin/env node
// Planted-poison benchmark: `npm run build && node bench/poison.mjs` (flags: --quick = 5k rows only, docs
// untouched; --write-docs = update docs/BENCHMARKS.md even with --quick).
//
// Generates separable labelled datasets (3 Gaussian classes, 8 numeric features + a noise categorical column)
// with 2% flipped labels and 0.5% planted conflicting duplicates (makePlantedPoisonDataset from dist/), runs
// detectPoisoning() and scores the rows named by BW-PSN-001 (conflicting duplicates) and BW-PSN-002 (kNN label
// disagreement) against the planted set: recall and precision (goal: both >= 0.8). In the same run it measures
// two baselines: a random detector flagging as many rows (its expected precision is the poison rate) and a bare
// brute-force pairwise squared-distance loop over the same scaled matrix (the floor cost of exact kNN), and
// reports the ratio of detectPoisoning's time (all six signals) to that loop. The same run repeats the planted
// test on imbalanced labels (2 classes, 95% / 5%) and counts what the signals report on CLEAN imbalanced,
// heavy-tailed data (makeCleanImbalancedDataset: 2% positives, log-normal amounts, Pareto-like ages): the
// "quiet on clean data" half of the question (issue 5). Prints Markdown and replaces the "poison" section of
// docs/BENCHMARKS.md between its markers.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeBenchSection } from './bench-docs.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist', 'data', 'poison', 'index.js');
const DOCS = join(ROOT, 'docs', 'BENCHMARKS.md');
const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const WRITE_DOCS = args.has('--write-docs') || !QUICK;
const SIZES = QUICK ? [5_000] : [5_000, 20_000, 40_000];
const START = '<!-- bench:poison:start -->';
const END = '<!-- bench:poison:end -->';

const log = (m) => process.stderr.write(`${m}\n`);

function bruteForceMs(input) {
  // Same work shape as exact kNN without the neighbour bookkeeping: every pair's squared distance.
  const n = input.labels.length;
  const d = input.numeric.length;
  const m = new Float64Array(n * d);
  input.numeric.forEach((c, j) => c.values.forEach((v, i) => (m[i * d + j] = v)));
  const t0 = performance.now();
  let sink = 0;
  for (let q = 0; q < n; q++) {
    let best = Infinity;
    for (let r = 0; r < n; r++) {
      if (r === q) continue;
      let s = 0;
      for (let j = 0; j < d; j++) {
        const x = m[q * d + j] - m[r * d + j];
        s += x * x;
      }
      if (s < best) best = s;
    }
    sink += best;
  }
  if (sink < 0) log('impossible');
  return performance.now() - t0;
}

async function main() {
  const path = DIST;
  if (!existsSync(path)) throw new Error('dist/ not built: run `npm run build` first');
  const { detectPoisoning, makeCleanImbalancedDataset, makePlantedPoisonDataset, POISON_RULES, suspectedRows } = await import(pathToFileURL(path).href);
  const severity = new Map(POISON_RULES.map((r) => [r.id, r.severity]));
  const rows = [];
  for (const size of SIZES) {
    const { input, planted } = makePlantedPoisonDataset({ rows: size, seed: 2026 });
    log(`poison: ${input.labels.length} rows, ${planted.size} planted ...`);
    const t0 = performance.now();
    const result = detectPoisoning(input, { maxSuspicionsPerRule: Number.POSITIVE_INFINITY });
    const ms = performance.now() - t0;
    const found = suspectedRows(result.suspicions, ['BW-PSN-001', 'BW-PSN-002']);
    const tp = [...found].filter((r) => planted.has(r)).length;
    const recall = tp / planted.size;
    const precision = tp / Math.max(1, found.size);
    const base = bruteForceMs(input);
    rows.push({ n: input.labels.length, planted: planted.size, flagged: found.size, recall, precision, randomPrecision: planted.size / input.labels.length, ms, base, sampled: result.metrics.poison_knn_sampled });
  }
  const imbalanced = [];
  const clean = [];
  for (const size of SIZES.slice(0, 2)) {
    const { input, planted } = makePlantedPoisonDataset({ rows: size, seed: 2026, classes: 2, classWeights: [0.95, 0.05] });
    log(`poison: imbalanced planted, ${input.labels.length} rows ...`);
    const result = detectPoisoning(input, { maxSuspicionsPerRule: Number.POSITIVE_INFINITY });
    const found = suspectedRows(result.suspicions, ['BW-PSN-001', 'BW-PSN-002']);
    const tp = [...found].filter((r) => planted.has(r)).length;
    imbalanced.push({ n: input.labels.length, planted: planted.size, flagged: found.size, recall: tp / planted.size, precision: tp / Math.max(1, found.size) });
    log(`poison: clean imbalanced heavy-tailed, ${size} rows ...`);
    const c = detectPoisoning(makeCleanImbalancedDataset({ rows: size, seed: 2026 }));
    const count = (pred) => c.suspicions.filter((x) => pred(severity.get(x.ruleId))).length;
    clean.push({ n: size, mediumPlus: count((sev) => sev !== 'low' && sev !== 'info'), low: count((sev) => sev === 'low' || sev === 'info'), knn: c.metrics.poison_knn_rows_flagged, zRows: c.metrics.poison_robust_z_outliers, t: c.metrics.poison_knn_min_class_threshold });
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const machine = `${cpu}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${os.platform()}`;
  const rss = process.resourceUsage().maxRSS / 1024;
  const md = [
    START,
    '## Poisoning signals: planted poison',
    '',
    `Command: \`npm run build && node bench/poison.mjs${QUICK ? ' --quick --write-docs' : ''}\`. Machine: ${machine}. Peak RSS of the run: ${rss.toFixed(0)} MB.`,
    '',
    'Separable data (3 Gaussian classes 10 apart, 8 numeric features, a noise categorical), 2% of labels flipped and 0.5% conflicting duplicates appended (seed 2026). Scored: rows named by BW-PSN-001 + BW-PSN-002 against the planted rows. Goal: recall >= 0.8 at precision >= 0.8. Baselines measured in the same run: a random detector flagging as many rows (expected precision = poison rate) and a bare brute-force pairwise-distance loop (the floor cost of exact kNN).',
    '',
    '| rows | planted | flagged | recall | precision | random precision | detectPoisoning (all 6 signals) | pairwise loop | ratio |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.n} | ${r.planted} | ${r.flagged} | ${r.recall.toFixed(3)} | ${r.precision.toFixed(3)} | ${r.randomPrecision.toFixed(3)} | ${(r.ms / 1000).toFixed(2)} s | ${(r.base / 1000).toFixed(2)} s | ${(r.ms / r.base).toFixed(2)}x |`),
    '',
    'Same goal on imbalanced labels (2 separable classes, 95% / 5%, 2% flipped, seed 2026):',
    '',
    '| rows | planted | flagged | recall | precision |',
    '|---:|---:|---:|---:|---:|',
    ...imbalanced.map((r) => `| ${r.n} | ${r.planted} | ${r.flagged} | ${r.recall.toFixed(3)} | ${r.precision.toFixed(3)} |`),
    '',
    'Quiet on clean data: CLEAN imbalanced heavy-tailed data (`makeCleanImbalancedDataset`, 2% positives overlapping the negatives, log-normal amounts, Pareto-like account ages, seed 2026). Goal: no medium+ suspicion, a handful of low (aggregated outlier) leads.',
    '',
    '| rows | medium+ suspicions | low suspicions | kNN rows flagged | robust-z outlier rows (listed in the low leads, top 20 each) | smallest kNN class threshold |',
    '|---:|---:|---:|---:|---:|---:|',
    ...clean.map((r) => `| ${r.n} | ${r.mediumPlus} | ${r.low} | ${r.knn} | ${r.zRows} | ${r.t} |`),
    '',
    END,
  ].join('\n');
  process.stdout.write(`${md}\n`);
  const bad = [...rows, ...imbalanced].filter((r) => r.recall < 0.8 || r.precision < 0.8);
  const loud = clean.filter((r) => r.mediumPlus > 0);
  if (WRITE_DOCS) {
    writeBenchSection('poison', md);
    log(`updated ${relative(ROOT, DOCS)}`);
  }
  if (loud.length > 0) {
    log(`FAIL: medium+ suspicions on clean data at ${loud.map((r) => r.n).join(', ')} rows`);
    process.exitCode = 1;
  }
  if (bad.length > 0) {
    log(`FAIL: recall/precision below 0.8 at ${bad.map((r) => r.n).join(', ')} rows`);
    process.exitCode = 1;
  }
}

await main();
