#!/usr/bin/env node
// Bulwark benchmarks: `npm run bench` (builds, then runs this) or `node bench/run.mjs --quick`.
//
// 1. scan() on a ~20 MiB and a ~2 GiB PyTorch zip checkpoint with the same pickle structure. The
//    scanner reads only the pickle member, never the tensor bytes, so the two times should match
//    (ratio ~1); a ratio that grows with file size means something reads or hashes whole files.
// 2. parsePickle() opcode throughput on a >= 200 MiB pickle, against CPython's pickletools.genops
//    over the same bytes in the same run (both only walk opcodes; neither unpickles).
//
// Inputs are generated into bench/.work/ (git-ignored) with /usr/bin/python3 + torch and reused when
// present. Results are measured here and written to docs/BENCHMARKS.md (full runs only).
//
// Flags: --quick        smaller inputs (200 MiB checkpoint, 50 MiB pickle), docs not updated
//        --generate-only make the inputs and stop (works before dist/ is built)
//        --write-docs    update docs/BENCHMARKS.md even with --quick
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, 'bench', '.work');
const DIST = join(ROOT, 'dist', 'index.js');
const DOCS = join(ROOT, 'docs', 'BENCHMARKS.md');
const PYTHON = '/usr/bin/python3'; // Debian's interpreter, which has torch (the first python3 on PATH may not)
const MiB = 1024 * 1024;

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const WRITE_DOCS = args.has('--write-docs') || !QUICK;

// Checkpoints hold 4 float32 tensors of rows x 1024 (16 KiB per row over all 4 tensors).
const ROW_BYTES = 4 * 1024 * 4;
const SIZES = QUICK
  ? { smallCkptMiB: 20, bigCkptMiB: 200, pickleMiB: 50 }
  : { smallCkptMiB: 20, bigCkptMiB: 2048, pickleMiB: 200 };
// A scan of a checkpoint takes milliseconds, so more runs are cheap and steady the median.
const SCAN_RUNS = 15;
const PARSE_RUNS = 3;

const log = (msg) => process.stderr.write(`${msg}\n`);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function fmtBytes(n) {
  return n >= 1024 * MiB ? `${(n / 1024 / MiB).toFixed(2)} GiB` : `${(n / MiB).toFixed(1)} MiB`;
}

function fmtMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

function fmtRate(perSecond) {
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(1)} M` : `${(perSecond / 1e3).toFixed(1)} k`;
}

// ---------------------------------------------------------------------------------------------
// Inputs

function runPython(argv, what) {
  const r = spawnSync(PYTHON, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) throw new Error(`${what}: cannot run ${PYTHON}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what}: ${PYTHON} exited with ${r.status}`);
}

/** A checkpoint of `mib` MiB of tensor bytes; regenerated only when missing or of the wrong size. */
function ensureCheckpoint(mib) {
  const rows = Math.round((mib * MiB) / ROW_BYTES);
  const tensorBytes = rows * ROW_BYTES;
  const path = join(WORK, `checkpoint-${mib}MiB.pt`);
  // The zip adds headers, the pickle and 64-byte alignment padding: well under 1 MiB.
  const ok = existsSync(path) && statSync(path).size >= tensorBytes && statSync(path).size < tensorBytes + MiB;
  if (!ok) {
    log(`generating ${relative(ROOT, path)} (${fmtBytes(tensorBytes)} of tensors)...`);
    runPython([join(ROOT, 'bench', 'gen_inputs.py'), 'checkpoint', path, String(rows)], 'checkpoint');
  }
  return { path, size: statSync(path).size };
}

/** A pickle of at least `mib` MiB (and under 110% of it, so a bigger leftover input is not reused). */
function ensurePickle(mib) {
  const min = mib * MiB;
  const path = join(WORK, `opcodes-${mib}MiB.pkl`);
  const ok = existsSync(path) && statSync(path).size >= min && statSync(path).size < min * 1.1;
  if (!ok) {
    log(`generating ${relative(ROOT, path)} (>= ${fmtBytes(min)})...`);
    runPython([join(ROOT, 'bench', 'gen_inputs.py'), 'pickle', path, String(min)], 'pickle');
  }
  return { path, size: statSync(path).size };
}

// ---------------------------------------------------------------------------------------------
// The library under test

async function loadBulwark() {
  if (!existsSync(DIST)) {
    throw new Error(`${relative(ROOT, DIST)} is missing: build first (npm run build; npm run bench does it for you).`);
  }
  const lib = await import(pathToFileURL(DIST).href);
  const missing = ['scan', 'parsePickle', 'openFileSource', 'DEFAULT_LIMITS'].filter((name) => lib[name] === undefined);
  if (missing.length > 0) {
    throw new Error(`${relative(ROOT, DIST)} does not export ${missing.join(', ')} yet; the bench needs them.`);
  }
  return lib;
}

async function scanOnce(lib, path) {
  const t0 = process.hrtime.bigint();
  const report = await lib.scan({ paths: [path] });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, report };
}

/**
 * Times scan() on several files. One warm-up run each (JIT, page cache), then the files are
 * measured in alternation, so drift over the run (JIT tiers, CPU frequency) hits them equally.
 */
async function timeScans(lib, paths) {
  const out = [];
  for (const path of paths) {
    const warm = await scanOnce(lib, path);
    if (warm.report.errors.length > 0) {
      log(`  note: scan reported errors for ${relative(ROOT, path)}: ${JSON.stringify(warm.report.errors)}`);
    }
    // bytes_read (a scan metric) shows directly how little of the file the scanner touched.
    out.push({ times: [], findings: warm.report.findings.length, errors: warm.report.errors.length, bytesRead: warm.report.metrics?.bytes_read });
  }
  for (let i = 0; i < SCAN_RUNS; i++) {
    for (const [k, path] of paths.entries()) out[k].times.push((await scanOnce(lib, path)).ms);
  }
  return out.map((r) => ({ ...r, ms: median(r.times) }));
}

async function timeParsePickle(lib, path) {
  // Raised limits: the point is raw opcode throughput, not where the defaults cut a huge stream off.
  const limits = {
    ...lib.DEFAULT_LIMITS,
    maxPickleBytes: 8 * 1024 * MiB,
    maxOpcodes: 2_000_000_000,
    maxMemo: 100_000_000,
    maxStackItems: 100_000_000,
    timeoutMs: 3_600_000,
  };
  const times = [];
  let opcodes = 0;
  for (let i = 0; i < PARSE_RUNS; i++) {
    const src = await lib.openFileSource(path, relative(ROOT, path));
    try {
      const t0 = process.hrtime.bigint();
      const facts = await lib.parsePickle(src, { limits });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      opcodes = facts.opcodeCount;
      if (facts.limitHit) log(`  note: parsePickle stopped at a limit: ${JSON.stringify(facts.limitHit)}`);
    } finally {
      await src.close();
    }
  }
  return { ms: median(times), times, opcodes };
}

// CPython baseline: read the file first (untimed), then time only the genops loop.
const GENOPS = `
import json, pickletools, sys, time
data = open(sys.argv[1], 'rb').read()
runs = []
for _ in range(int(sys.argv[2])):
    n = 0
    t0 = time.perf_counter()
    for _op in pickletools.genops(data):
        n += 1
    runs.append((time.perf_counter() - t0) * 1000)
print(json.dumps({'opcodes': n, 'times': runs, 'python': sys.version.split()[0]}))
`;

function timeGenops(path) {
  const out = execFileSync(PYTHON, ['-c', GENOPS, path, String(PARSE_RUNS)], { encoding: 'utf8', maxBuffer: MiB });
  const r = JSON.parse(out);
  return { ms: median(r.times), times: r.times, opcodes: r.opcodes, python: r.python };
}

// ---------------------------------------------------------------------------------------------
// Report

function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.availableParallelism()} CPUs (nproc; ${cpu.trim()}), ${(os.totalmem() / 1024 / MiB).toFixed(0)} GiB RAM, ${process.platform} ${os.release()}, Node ${process.version}`;
}

function table(r) {
  const read = (x) => (typeof x.bytesRead === 'number' ? `, read ${(x.bytesRead / 1024).toFixed(0)} KiB` : '');
  const sc = (label, x) => `| scan() ${label} | ${fmtBytes(x.size)} | ${SCAN_RUNS} | ${fmtMs(x.ms)} | ${x.findings} findings, ${x.errors} errors${read(x)} |`;
  const opsPerS = (x) => (x.opcodes / x.ms) * 1000;
  const mibPerS = (x) => (r.pickle.size / MiB / x.ms) * 1000;
  return [
    '| Benchmark | Input | Runs (median of) | Median time | Notes |',
    '| --- | --- | --- | --- | --- |',
    sc('PyTorch zip checkpoint', r.small),
    sc('PyTorch zip checkpoint', r.big),
    `| scan() time ratio, big / small | ${(r.big.size / r.small.size).toFixed(0)}x the bytes | | **${(r.big.ms / r.small.ms).toFixed(2)}** | ~1 means tensor bytes are never read |`,
    `| parsePickle() | ${fmtBytes(r.pickle.size)} pickle, ${(r.parse.opcodes / 1e6).toFixed(1)} M opcodes | ${PARSE_RUNS} | ${fmtMs(r.parse.ms)} | ${fmtRate(opsPerS(r.parse))}opcodes/s, ${mibPerS(r.parse).toFixed(0)} MiB/s |`,
    `| pickletools.genops (CPython ${r.genops.python}) | same file, ${(r.genops.opcodes / 1e6).toFixed(1)} M opcodes | ${PARSE_RUNS} | ${fmtMs(r.genops.ms)} | ${fmtRate(opsPerS(r.genops))}opcodes/s, ${mibPerS(r.genops).toFixed(0)} MiB/s |`,
    `| parsePickle speed / genops speed | | | **${(r.genops.ms / r.parse.ms).toFixed(2)}x** | >1: parsePickle is faster |`,
  ].join('\n');
}

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

const DOC_HEAD = `# Benchmarks

Run them with \`npm run bench\` (builds, then runs \`node bench/run.mjs\`); \`node bench/run.mjs --quick\` is a
fast smoke run on smaller inputs that leaves this page alone. Inputs are generated into \`bench/.work/\`
(git-ignored) with \`/usr/bin/python3\` and PyTorch, and reused when present.

## What is measured

- **Scan time vs. checkpoint size.** \`scan()\` on two PyTorch zip checkpoints (\`torch.save\` of a
  state_dict of four float32 tensors) of ~20 MiB and ~2 GiB with the same pickle structure: only the
  tensor bytes differ. The scanner parses the pickle member and never reads tensor data, so the
  ratio of the two times should stay near 1. One warm-up run each, then ${SCAN_RUNS} runs of each file in
  alternation; the median is reported.
- **Opcode throughput.** \`parsePickle()\` over a >= 200 MiB protocol 4 pickle of a flat list of small
  ints, floats and memoized short strings (tens of millions of opcodes), against CPython's
  \`pickletools.genops\` walking the same bytes in the same run (file read first, only the loop timed).
  Neither one unpickles anything. Median of ${PARSE_RUNS} runs each.

Every number below is written by \`bench/run.mjs\`; none is typed in.

## Results

`;

function writeDocs(r) {
  const section = [
    START,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench\`${QUICK ? ' (--quick inputs)' : ''} on ${machine()}.`,
    '',
    table(r),
    '',
    END,
  ].join('\n');
  let doc = existsSync(DOCS) ? readFileSync(DOCS, 'utf8') : DOC_HEAD;
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  doc = a >= 0 && b > a ? doc.slice(0, a) + section + doc.slice(b + END.length) : `${doc.trimEnd()}\n\n${section}\n`;
  mkdirSync(dirname(DOCS), { recursive: true });
  writeFileSync(DOCS, doc.endsWith('\n') ? doc : `${doc}\n`);
  log(`updated ${relative(ROOT, DOCS)}`);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  mkdirSync(WORK, { recursive: true });
  const small = ensureCheckpoint(SIZES.smallCkptMiB);
  const big = ensureCheckpoint(SIZES.bigCkptMiB);
  const pickle = ensurePickle(SIZES.pickleMiB);
  if (args.has('--generate-only')) {
    log(`inputs ready in ${relative(ROOT, WORK)}/`);
    return;
  }

  const lib = await loadBulwark();
  log(`scan() on the ${fmtBytes(small.size)} and ${fmtBytes(big.size)} checkpoints...`);
  const [smallScan, bigScan] = await timeScans(lib, [small.path, big.path]);
  log(`parsePickle() on ${fmtBytes(pickle.size)} pickle...`);
  const parse = await timeParsePickle(lib, pickle.path);
  log(`pickletools.genops on the same pickle (CPython is slower; this takes a while)...`);
  const genops = timeGenops(pickle.path);
  if (genops.opcodes !== parse.opcodes) {
    log(`  note: opcode counts differ: parsePickle ${parse.opcodes}, genops ${genops.opcodes}`);
  }

  const results = {
    small: { ...smallScan, size: small.size },
    big: { ...bigScan, size: big.size },
    pickle,
    parse,
    genops,
  };
  writeFileSync(join(WORK, 'results.json'), JSON.stringify({ quick: QUICK, machine: machine(), ...results }, null, 2));
  process.stdout.write(`${table(results)}\n`);
  if (WRITE_DOCS) writeDocs(results);
}

main().catch((err) => {
  log(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
