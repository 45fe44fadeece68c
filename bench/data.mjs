#!/usr/bin/env node
// Dataset validation benchmark: `npm run build && node bench/data.mjs` (flags: --rows N (default 10,000,000);
// --quick = 1,000,000 rows, docs untouched; --write-docs = update docs/BENCHMARKS.md even with --quick).
//
// Generates (once, cached under bench/.work/) a Parquet file of N rows x 12 columns with DuckDB itself:
// id, 4 doubles, 2 integers, 2 categoricals, a label, 2 text columns with a few planted e-mails and
// spreadsheet-formula payloads. Then, in the same run, each in its own child process (so peak RSS is its own),
// median of 3:
//   baseline  one plain DuckDB aggregate pass: count, min, max over every column, avg over numeric columns and
//             over text lengths (what a hand-written "is the file sane" query costs);
//   default   Bulwark's default validation from dist/, through one dataset handle (openDataset): profile +
//             suggestFromProfile + validate with that suite and the default PII/injection detectors on the
//             text columns (facts the profile states exactly are not re-scanned; text columns of modest
//             cardinality are grouped once, for the profile and the detectors alike).
// Prints Markdown and replaces the `data` section of docs/BENCHMARKS.md between its markers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, writeBenchSection } from './bench-docs.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, 'bench', '.work');
const DIST = join(ROOT, 'dist', 'data', 'index.js');
const DOCS = join(ROOT, 'docs', 'BENCHMARKS.md');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const rowsArg = argv.indexOf('--rows');
const ROWS = rowsArg >= 0 ? Number(argv[rowsArg + 1]) : QUICK ? 1_000_000 : 10_000_000;
const WRITE_DOCS = argv.includes('--write-docs') || (!QUICK && rowsArg < 0);
const RUNS = 3;
const FILE = join(WORK, `data-${ROWS}.parquet`);
const log = (m) => process.stderr.write(`${m}\n`);

async function makeDataset() {
  if (existsSync(FILE)) return;
  mkdirSync(WORK, { recursive: true });
  log(`generating ${ROWS.toLocaleString('en')} rows x 12 columns -> ${relative(ROOT, FILE)} ...`);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const tmp = `${FILE}.tmp`;
  // hash(range, k) gives deterministic pseudo-random values without a seed setting.
  await c.run(`COPY (
    SELECT
      range AS id,
      (hash(range, 1) % 1000000) / 1000.0 AS f1,
      (hash(range, 2) % 1000000) / 1000000.0 * 100 - 50 AS f2,
      ln(1 + (hash(range, 3) % 1000000)) AS f3,
      CASE WHEN hash(range, 4) % 50 = 0 THEN NULL ELSE (hash(range, 4) % 10000) / 7.0 END AS f4,
      CAST(hash(range, 5) % 100 AS INTEGER) AS i1,
      CAST(18 + hash(range, 6) % 70 AS INTEGER) AS i2,
      ['red', 'green', 'blue', 'cyan', 'black'][1 + CAST(hash(range, 7) % 5 AS INTEGER)] AS cat1,
      'region-' || CAST(hash(range, 8) % 50 AS VARCHAR) AS cat2,
      CASE WHEN hash(range, 9) % 3 = 0 THEN 'spam' ELSE 'ham' END AS label,
      CASE WHEN range % 100003 = 0 THEN 'user' || CAST(range AS VARCHAR) || '@example.com'
           ELSE ['amber', 'birch', 'cedar', 'delta', 'ember', 'fjord'][1 + CAST(hash(range, 10) % 6 AS INTEGER)] || ' ' || CAST(hash(range, 11) % 100000 AS VARCHAR) END AS contact,
      CASE WHEN range % 250007 = 0 THEN '=HYPERLINK("http://example.invalid","x")'
           ELSE 'order ' || CAST(hash(range, 12) % 1000000 AS VARCHAR) || ' shipped' END AS note
    FROM range(${ROWS})
  ) TO '${tmp.replaceAll("'", "''")}' (FORMAT parquet, ROW_GROUP_SIZE 122880)`);
  c.closeSync();
  db.closeSync();
  renameSync(tmp, FILE);
}

function child(script) {
  const p = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 24, cwd: ROOT });
  if (p.status !== 0) throw new Error(`bench child failed: ${p.stderr}`);
  return JSON.parse(p.stdout.trim().split('\n').pop());
}

// Linux keeps ru_maxrss across fork+exec, so read this process image's high-water mark from /proc.
const RSS = `let maxRssKb = process.resourceUsage().maxRSS;
  try { const m = /VmHWM:\\s+(\\d+) kB/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8')); if (m) maxRssKb = Number(m[1]); } catch {}`;

function baselineOnce() {
  return child(`
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const t0 = process.hrtime.bigint();
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const cols = (await c.runAndReadAll("DESCRIBE SELECT * FROM read_parquet($1)", [${JSON.stringify(FILE)}])).getRowObjects();
    const aggs = ['count(*)'];
    for (const col of cols) {
      const q = '"' + col.column_name + '"';
      const text = String(col.column_type) === 'VARCHAR';
      aggs.push('min(' + q + ')', 'max(' + q + ')', text ? 'avg(length(' + q + '))' : 'avg(' + q + ')');
    }
    await c.runAndReadAll('SELECT ' + aggs.join(', ') + ' FROM read_parquet($1)', [${JSON.stringify(FILE)}]);
    c.closeSync(); db.closeSync();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    ${RSS}
    process.stdout.write(JSON.stringify({ s, maxRssKb }) + '\\n');
  `);
}

function defaultOnce() {
  return child(`
    const { openDataset, suggestFromProfile } = await import(${JSON.stringify(pathToFileURL(DIST).href)});
    // The engine module loads on first use; load it before the clock starts, as the baseline does.
    await import('@duckdb/node-api');
    const t0 = process.hrtime.bigint();
    const ds = await openDataset({ path: ${JSON.stringify(FILE)} });
    const profile = await ds.profile();
    const t1 = process.hrtime.bigint();
    const suite = suggestFromProfile(profile);
    const report = await ds.validate({ suite });
    await ds.close();
    const t2 = process.hrtime.bigint();
    ${RSS}
    process.stdout.write(JSON.stringify({ s: Number(t2 - t0) / 1e9, profileS: Number(t1 - t0) / 1e9, validateS: Number(t2 - t1) / 1e9, maxRssKb,
      expectations: suite.expectations.length, findings: report.findings.length, metrics: report.metrics, errors: report.errors }) + '\\n');
  `);
}

async function main() {
  if (!existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first');
  await makeDataset();
  const base = [];
  const full = [];
  for (let r = 0; r < RUNS; r++) {
    // Interleaved so that load from other work on the machine hits both alike.
    base.push(baselineOnce());
    full.push(defaultOnce());
    log(`run ${r + 1}/${RUNS}: baseline ${base[r].s.toFixed(2)} s, default validation ${full[r].s.toFixed(2)} s (profile ${full[r].profileS.toFixed(2)} s + validate ${full[r].validateS.toFixed(2)} s)`);
  }
  const b = median(base.map((x) => x.s));
  const f = median(full.map((x) => x.s));
  const last = full[full.length - 1];
  const mb = (kb) => (kb / 1024).toFixed(0);
  const md = [
    '<!-- bench:data:start -->',
    '## Dataset validation (`bulwark data`)',
    '',
    `Command: \`npm run build && node bench/data.mjs${rowsArg >= 0 ? ` --rows ${ROWS}` : QUICK ? ' --quick' : ''}\` · machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, shared with other work · median of ${RUNS}, interleaved.`,
    '',
    `Input: generated Parquet, ${ROWS.toLocaleString('en')} rows x 12 columns (id, 4 doubles, 2 integers, 2 categoricals, label, 2 text columns with planted e-mails and formula payloads).`,
    '',
    '| run | wall time (s) | ratio to baseline | peak RSS (MB) |',
    '|---|---:|---:|---:|',
    `| baseline: one plain DuckDB aggregate pass (count, min, max, avg over every column) | ${b.toFixed(2)} | 1.00 | ${mb(median(base.map((x) => x.maxRssKb)))} |`,
    `| default validation: profile + suggested suite (${last.expectations} expectations, validated through the same openDataset handle) + PII and injection detectors | ${f.toFixed(2)} | ${(f / b).toFixed(2)} | ${mb(median(full.map((x) => x.maxRssKb)))} |`,
    `| &nbsp;&nbsp;of which profile | ${median(full.map((x) => x.profileS)).toFixed(2)} | ${(median(full.map((x) => x.profileS)) / b).toFixed(2)} | |`,
    `| &nbsp;&nbsp;of which suggest + validate | ${median(full.map((x) => x.validateS)).toFixed(2)} | ${(median(full.map((x) => x.validateS)) / b).toFixed(2)} | |`,
    '',
    `Per-run ratios (each run against the baseline run just before it): ${base.map((x, i) => ((full[i]?.s ?? 0) / x.s).toFixed(2)).join(', ')}.`,
    '',
    `Goal: at most 3x the plain pass. Validation found ${last.findings} finding(s) (pii_values ${last.metrics?.pii_values}, injection_values ${last.metrics?.injection_values}) in ${last.metrics?.queries} queries.`,
    '<!-- bench:data:end -->',
  ].join('\n');
  process.stdout.write(`${md}\n`);
  if (WRITE_DOCS) {
    writeBenchSection('data', md);
    log(`updated ${relative(ROOT, DOCS)}`);
  }
}

await main();
