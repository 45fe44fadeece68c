#!/usr/bin/env node
// Mixed-format model repository benchmark (issue 3): scan() over a directory of >= 5 GiB of models in
// every format the scanner knows (PyTorch zip, safetensors, GGUF, ONNX with external data, NumPy .npz,
// joblib, Hugging Face configs). Reports wall time and the bytes the scanner read against the total:
// parsers read headers and pickles, never tensor data, so the share read should stay far below 1%.
//
// Run: `npm run build && node bench/mixed.mjs` (part of `npm run bench`). `--quick` uses ~600 MiB.
// Inputs go to bench/.work/mixed/ (git-ignored) and are reused when present with the right size.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchMarkers, median, writeBenchSection } from './bench-docs.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, 'bench', '.work', 'mixed');
const DIST = join(ROOT, 'dist', 'index.js');
const PYTHON = '/usr/bin/python3';
const MiB = 1024 * 1024;
const QUICK = process.argv.includes('--quick');
const SCALE = QUICK ? 1 / 8 : 1;
const RUNS = 3;

const log = (m) => process.stderr.write(`${m}\n`);

/** Writes `header` then `dataBytes` of a repeating non-zero pattern (real bytes on disk, not sparse). */
function writeWithData(path, header, dataBytes) {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    const chunk = Buffer.alloc(16 * MiB);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
    let left = dataBytes;
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      writeSync(fd, chunk, 0, n);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}

function fresh(path, minBytes) {
  return existsSync(path) && statSync(path).size >= minBytes;
}

function safetensors(path, bytes) {
  if (fresh(path, bytes)) return;
  log(`writing ${path}`);
  const n = Math.floor(bytes / 4);
  let json = JSON.stringify({ __metadata__: { format: 'pt' }, 'model.embed.weight': { dtype: 'F32', shape: [n], data_offsets: [0, n * 4] } });
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeWithData(path, Buffer.concat([len, Buffer.from(json)]), n * 4);
}

/** GGUF v3 (ggml docs/gguf.md): header, metadata, one F32 tensor info, aligned data. */
function gguf(path, bytes) {
  if (fresh(path, bytes)) return;
  log(`writing ${path}`);
  const parts = [];
  const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); parts.push(b); };
  const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); parts.push(b); };
  const str = (s) => { u64(Buffer.byteLength(s)); parts.push(Buffer.from(s)); };
  const n = Math.floor(bytes / 4);
  parts.push(Buffer.from('GGUF'));
  u32(3);
  u64(1); // tensors
  u64(3); // metadata entries
  str('general.architecture'); u32(8); str('llama');
  str('general.alignment'); u32(4); u32(32);
  str('tokenizer.chat_template'); u32(8);
  str("{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'] }}{% endfor %}");
  str('token_embd.weight'); u32(1); u64(n); u32(0); u64(0);
  let header = Buffer.concat(parts);
  header = Buffer.concat([header, Buffer.alloc((32 - (header.length % 32)) % 32)]);
  writeWithData(path, header, n * 4);
}

function python(code, what) {
  const r = spawnSync(PYTHON, ['-c', code], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${what}: ${PYTHON} exited with ${r.status ?? r.error?.message}`);
}

function torchCheckpoint(path, bytes) {
  if (fresh(path, bytes)) return;
  log(`writing ${path}`);
  const rows = Math.floor(bytes / (4 * 4096));
  python(
    `import torch\nsd={'encoder.weight': torch.ones(${rows}, 4096), 'encoder.bias': torch.zeros(4096)}\ntorch.save(sd, ${JSON.stringify(path)})`,
    'torch checkpoint',
  );
}

function onnxWithExternalData(path, bytes) {
  if (fresh(join(dirname(path), 'onnx-weights.bin'), bytes)) return;
  log(`writing ${path} + onnx-weights.bin`);
  const n = Math.floor(bytes / 4);
  python(
    [
      'import numpy as np, onnx',
      'from onnx import helper, numpy_helper, TensorProto',
      `w = numpy_helper.from_array(np.ones((${n},), dtype=np.float32), name='W')`,
      "x = helper.make_tensor_value_info('X', TensorProto.FLOAT, [None])",
      "y = helper.make_tensor_value_info('Y', TensorProto.FLOAT, [None])",
      "g = helper.make_graph([helper.make_node('Add', ['X', 'W'], ['Y'])], 'g', [x], [y], [w])",
      "m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])",
      `onnx.save_model(m, ${JSON.stringify(path)}, save_as_external_data=True, all_tensors_to_one_file=True, location='onnx-weights.bin', size_threshold=0)`,
    ].join('\n'),
    'onnx model',
  );
}

function npzAndJoblib(npz, jl, bytes) {
  if (fresh(npz, bytes) && fresh(jl, bytes / 4)) return;
  log(`writing ${npz} and ${jl}`);
  const n = Math.floor(bytes / 8);
  python(
    [
      'import numpy as np, joblib',
      `np.savez(${JSON.stringify(npz)}, a=np.ones(${n}), b=np.arange(${n}))`,
      `joblib.dump({'weights': np.ones(${Math.floor(n / 4)}), 'bias': np.zeros(16)}, ${JSON.stringify(jl)})`,
    ].join('\n'),
    'npz/joblib',
  );
}

function generate() {
  mkdirSync(DIR, { recursive: true });
  torchCheckpoint(join(DIR, 'pytorch_model.bin'), 2048 * MiB * SCALE);
  safetensors(join(DIR, 'model.safetensors'), 1536 * MiB * SCALE);
  gguf(join(DIR, 'model-q8.gguf'), 1024 * MiB * SCALE);
  onnxWithExternalData(join(DIR, 'model.onnx'), 512 * MiB * SCALE);
  npzAndJoblib(join(DIR, 'arrays.npz'), join(DIR, 'regressor.joblib'), 256 * MiB * SCALE);
  writeFileSync(join(DIR, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama' }));
  writeFileSync(join(DIR, 'README.md'), '---\nlicense: apache-2.0\n---\n# mixed benchmark repository\n');
}

const gib = (n) => `${(n / 1024 / MiB).toFixed(2)} GiB`;

async function main() {
  generate();
  if (!existsSync(DIST)) {
    log('dist/index.js is missing: run `npm run build` first (npm run bench does).');
    process.exit(1);
  }
  const { scan } = await import(pathToFileURL(DIST).href);
  await scan({ paths: [DIR] }); // warm-up: page cache and JIT
  const times = [];
  let report;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    report = await scan({ paths: [DIR] });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const m = report.metrics;
  const share = (100 * m.bytes_read) / m.bytes_total;
  const formats = [...new Set(report.inventory.map((e) => e.format))].sort().join(', ');
  const rows = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`node bench/mixed.mjs${QUICK ? ' --quick' : ''}\` (after \`npm run build\`) on ${os.cpus().length} CPUs, Node ${process.version}.`,
    '',
    '| Input | Files | Formats detected | Median wall time (of 3, warm cache) | Bytes read / total | Findings ≥ medium | Errors |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| ${gib(m.bytes_total)} mixed-format directory | ${m.files_scanned} | ${formats} | ${(median(times) / 1000).toFixed(3)} s | ${(m.bytes_read / 1024).toFixed(0)} KiB / ${gib(m.bytes_total)} = **${share.toFixed(4)}%** | ${report.findings.filter((f) => ['critical', 'high', 'medium'].includes(f.severity)).length} | ${report.errors.length} |`,
  ].join('\n');
  process.stdout.write(`${rows}\n`);
  if (!QUICK) {
    const { start, end } = benchMarkers('mixed');
    writeBenchSection('mixed', `${start}\n\n${rows}\n\n${end}`);
  }
}

await main();
