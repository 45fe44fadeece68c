#!/usr/bin/env node
// Signing benchmark: `npm run build && node bench/sign.mjs` (flags: --quick = 512 MiB model, docs untouched;
// --write-docs = update docs/BENCHMARKS.md even with --quick).
//
// Builds a 4 GB model in bench/.work/sign-model/ (one 4 GB weights file of real, non-sparse bytes plus a small
// config; reused when present), reads it once so it is page-cached, then in the same run measures:
//   1. single-core node:crypto SHA-256 speed: (a) over an in-memory buffer (pure CPU, the strict baseline) and
//      (b) streaming the model's files from the page cache in one thread (read + hash);
//   2. signModel() from dist/ in a child process (so its peak RSS, VmHWM from /proc/self/status, else maxRSS, is its own),
//      with the shards method (default 1 GB shards, so the one big file is spread over every core) and the files
//      method (one task per file: a single big file is hashed by one core, inherently, since SHA-256 is serial).
// Reports GB/s (1 GB = 1e9 bytes), the ratio to cores x single-core speed (each run paired with a baseline measured
// just before it; goal >= 0.85), cores busy (CPU time / wall time), GB per CPU-second and peak RSS (goal < 256 MB),
// prints Markdown and replaces the "Signing" section of docs/BENCHMARKS.md between its markers.
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, writeBenchSection } from './bench-docs.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, 'bench', '.work');
const MODEL = join(WORK, 'sign-model');
const DIST = join(ROOT, 'dist', 'sign', 'index.js');
const DOCS = join(ROOT, 'docs', 'BENCHMARKS.md');
const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const WRITE_DOCS = args.has('--write-docs') || !QUICK;
const WEIGHTS_BYTES = QUICK ? 512 * 1024 * 1024 : 4_000_000_000;
const RUNS = 3;
const log = (m) => process.stderr.write(`${m}\n`);

function makeModel() {
  mkdirSync(MODEL, { recursive: true });
  const weights = join(MODEL, 'model.safetensors');
  if (existsSync(weights) && statSync(weights).size === WEIGHTS_BYTES) return;
  log(`writing ${(WEIGHTS_BYTES / 1e9).toFixed(2)} GB of random bytes to ${relative(ROOT, weights)} ...`);
  const block = Buffer.alloc(64 * 1024 * 1024);
  const fd = openSync(weights, 'w');
  for (let pos = 0; pos < WEIGHTS_BYTES; pos += block.length) {
    randomFillSync(block); // real bytes, no holes: a sparse file would read faster than a model
    const n = Math.min(block.length, WEIGHTS_BYTES - pos);
    writeSync(fd, block, 0, n);
  }
  closeSync(fd);
  writeFileSync(join(MODEL, 'config.json'), JSON.stringify({ architectures: ['BenchModel'], hidden_size: 4096 }));
}

function files() {
  return ['config.json', 'model.safetensors'].map((f) => join(MODEL, f));
}

/** Reads every file once (page-caches it) and returns seconds for a single-thread read+SHA-256. */
function streamHashSeconds() {
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  const t0 = process.hrtime.bigint();
  for (const f of files()) {
    const h = createHash('sha256');
    const fd = openSync(f, 'r');
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
    }
    closeSync(fd);
    h.digest();
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Pure CPU: SHA-256 over a 256 MiB in-memory buffer, 1 GiB in total; GB/s. */
let memBuf;
function memoryHashRate(runs = RUNS) {
  const buf = (memBuf ??= randomFillSync(Buffer.allocUnsafe(256 * 1024 * 1024)));
  const rates = [];
  for (let r = 0; r < runs; r++) {
    const h = createHash('sha256');
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 4; i++) h.update(buf);
    h.digest();
    rates.push((4 * buf.length) / 1e9 / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  return median(rates);
}

function signOnce(method, keyPem) {
  const child = `
    const { signModel } = await import(${JSON.stringify(pathToFileURL(DIST).href)});
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const r = await signModel({ modelPath: ${JSON.stringify(MODEL)}, signer: { kind: 'key', privateKey: process.env.BENCH_KEY }, method: ${JSON.stringify(method)},
      signaturePath: ${JSON.stringify(join(WORK, `sign-model.${method}.sig`))} });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6; // all threads of the process: main + hash workers
    // Linux keeps ru_maxrss across fork+exec (the child would report the bench's own peak), so read the
    // high-water mark of this process image from /proc (all its threads: the hash workers included).
    let maxRssKb = process.resourceUsage().maxRSS;
    try {
      const m = /VmHWM:\\s+(\\d+) kB/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'));
      if (m) maxRssKb = Number(m[1]);
    } catch {}
    process.stdout.write(JSON.stringify({ s, bytes: r.manifest.bytes, resources: r.manifest.resources.length, maxRssKb, cpu }));
  `;
  const p = spawnSync(process.execPath, ['--input-type=module', '-e', child], { env: { ...process.env, BENCH_KEY: keyPem }, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (p.status !== 0) throw new Error(`sign child failed: ${p.stderr}`);
  return JSON.parse(p.stdout);
}

function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${os.platform()}`;
}

function main() {
  if (!existsSync(DIST)) {
    log('dist/sign/index.js is missing: run `npm run build` first');
    process.exit(2);
  }
  makeModel();
  const cores = os.availableParallelism();
  const bytes = files().reduce((n, f) => n + statSync(f).size, 0);
  log('page-caching the model ...');
  streamHashSeconds();
  const memRate = memoryHashRate();
  const streamRate = bytes / 1e9 / median(Array.from({ length: RUNS }, () => streamHashSeconds()));
  const keyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const rows = [];
  const load0 = os.loadavg()[0];
  for (const method of ['shards', 'files']) {
    signOnce(method, keyPem); // warm-up
    // Each run is paired with a baseline measured just before it, so that drifting load on a shared
    // machine affects both sides of the ratio alike.
    const runs = Array.from({ length: RUNS }, () => {
      const base = memoryHashRate(1);
      const r = signOnce(method, keyPem);
      return { ...r, base, ratio: bytes / 1e9 / r.s / (cores * base) };
    });
    const s = median(runs.map((r) => r.s));
    const rss = Math.max(...runs.map((r) => r.maxRssKb)) * 1024;
    const cpu = median(runs.map((r) => r.cpu));
    rows.push({ method, s, rate: bytes / 1e9 / s, ratio: median(runs.map((r) => r.ratio)), rss, resources: runs[0].resources, parallel: cpu / s, perCpu: bytes / 1e9 / cpu });
    log(`${method}: ${(bytes / 1e9 / s).toFixed(2)} GB/s, peak RSS ${(rss / 1e6).toFixed(0)} MB, ${(cpu / s).toFixed(2)} cores busy`);
  }
  const load1 = os.loadavg()[0];
  const md = [
    '<!-- bench:sign:start -->',
    '## Signing',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`node bench/sign.mjs\`${QUICK ? ' (--quick)' : ''} on ${machine()}.`,
    `Model: one ${(WEIGHTS_BYTES / 1e9).toFixed(2)} GB weights file of random bytes plus a config, page-cached; \`signModel()\` from`,
    `dist/ with a P-256 key in a child process; median of ${RUNS} runs after a warm-up; peak RSS is the child's high-water RSS (VmHWM, all threads) over the runs.`,
    'Goal (issue 4): at least 0.85 x cores x single-core SHA-256 speed, peak RSS under 256 MB whatever the model size.',
    '',
    `Load average (1 min) ${load0.toFixed(2)} before the signing runs and ${load1.toFixed(2)} after: on a shared machine other work takes cores from`,
    'both the baseline and the signer, which lowers the ratio; "cores busy" (process CPU time / wall time) and "GB per CPU-second"',
    'show how well the pool spreads and how much hashing costs per core, independently of that load.',
    '',
    '| Measurement | GB/s | vs. cores x single-core | Cores busy | GB per CPU-second | Peak RSS | Notes |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| node:crypto SHA-256, 1 core, in memory | ${memRate.toFixed(2)} | | 1 | ${memRate.toFixed(2)} | | pure CPU baseline |`,
    `| node:crypto SHA-256, 1 core, streaming the model | ${streamRate.toFixed(2)} | | 1 | | | read from page cache + hash |`,
    ...rows.map(
      (r) =>
        `| signModel, ${r.method} (${r.resources} resources) | ${r.rate.toFixed(2)} | **${r.ratio.toFixed(2)}** | ${r.parallel.toFixed(2)} of ${cores} | ${r.perCpu.toFixed(2)} | ${(r.rss / 1e6).toFixed(0)} MB | ${r.method === 'files' ? 'one digest per file: a single big file is one serial hash' : '1 GB shards spread over the worker pool'} |`,
    ),
    '',
    '<!-- bench:sign:end -->',
  ].join('\n');
  process.stdout.write(`${md}\n`);
  if (WRITE_DOCS) {
    writeBenchSection('sign', md);
    log(`updated ${relative(ROOT, DOCS)}`);
  }
}

main();
