import { access, open, readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BulwarkError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { bufferSource } from '../io/byte-source.js';
import { DEFAULT_LIMITS } from '../io/limits.js';
import { detectFormat } from '../scan/index.js';
import type { DetectedFormat } from '../scan/index.js';
import { DEFAULT_EVIDENCE_DIR, DEFAULT_PROJECT_FILE, parseProjectConfig } from './config.js';

/** Options of {@link initProject}. */
export interface InitOptions {
  /** The project directory to look in and write `bulwark.yaml` to. */
  dir: string;
  /** Replace an existing project file. */
  force?: boolean;
  /** Only return the text; write nothing. */
  dryRun?: boolean;
  /** How deep to look below `dir`. */
  maxDepth?: number;
  /** Most directory entries to look at (a guard against pointing init at `/`). */
  maxEntries?: number;
}

/** Defaults of {@link initProject}. */
export const DEFAULT_INIT_OPTIONS = Object.freeze({ force: false, dryRun: false, maxDepth: 4, maxEntries: 20_000 });

/** What `init` found (paths relative to the project directory, `/`-separated). */
export interface ProjectInventory {
  /** Model files or directories (a directory when it holds a `model.sig`). */
  models: { path: string; format: string; signature?: string }[];
  publicKeys: string[];
  datasets: { training?: string; reference?: string; current?: string; other: string[] };
  suites: string[];
  lockfiles: string[];
  osvDb?: string;
}

/** The outcome of {@link initProject}. */
export interface InitResult {
  /** The project file (absolute). */
  path: string;
  /** Its text. */
  content: string;
  found: ProjectInventory;
  written: boolean;
}

/** Directories never worth looking in. */
const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '.venv', 'venv', '__pycache__', '.tox', 'dist', 'build', DEFAULT_EVIDENCE_DIR]);
/** Model formats recognised by content (the scanner's sniffers). */
const MODEL_FORMATS = new Set<DetectedFormat>(['pickle', 'safetensors', 'gguf', 'hdf5', 'onnx', 'tensorflow']);
/** Containers that are models only under a model file name (a zip is not necessarily a model). */
const MODEL_CONTAINER_EXTENSIONS = /\.(pt|pth|bin|ckpt|keras|joblib|pkl|pickle|mar|nemo|h5|tflite)$/i;
const DATASET_EXTENSIONS = /\.(csv|tsv|parquet|jsonl|ndjson)$/i;
const LOCKFILE_NAMES = /^(requirements[\w.-]*\.txt|poetry\.lock|uv\.lock|Pipfile\.lock|pdm\.lock|package-lock\.json|conda-lock\.ya?ml|environment\.ya?ml)$/;
const PUBLIC_KEY_NAMES = /\.(pub\.pem|pub)$/i;
const SUITE_NAMES = /\.suite\.ya?ml$/i;
const SIGNATURE_NAME = 'model.sig';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function sniffFile(path: string): Promise<DetectedFormat> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    // Sniffing needs only the head; a bounded in-memory source keeps it from reading the file.
    return await detectFormat(bufferSource(bytes, basename(path)), bytes, DEFAULT_LIMITS);
  } finally {
    await fh.close();
  }
}

function posixRel(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/** Walks `root` (bounded) and classifies what a project file could name. */
export async function inventoryProject(root: string, options: { maxDepth?: number; maxEntries?: number } = {}): Promise<ProjectInventory> {
  const maxDepth = options.maxDepth ?? DEFAULT_INIT_OPTIONS.maxDepth;
  const maxEntries = options.maxEntries ?? DEFAULT_INIT_OPTIONS.maxEntries;
  const files: string[] = [];
  const dirs: string[] = [];
  let seen = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (depth === 0) throw new BulwarkError('FILE_NOT_FOUND', `${dir}: cannot read the project directory (${(err as Error).message})`, { cause: err });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (++seen > maxEntries) return;
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name) || e.name.startsWith('.')) continue;
        dirs.push(full);
        if (depth < maxDepth) await walk(full, depth + 1);
      } else if (e.isFile()) {
        files.push(full);
      }
    }
  };
  await walk(root, 0);

  const inv: ProjectInventory = { models: [], publicKeys: [], datasets: { other: [] }, suites: [], lockfiles: [] };
  const signedDirs = new Set(files.filter((f) => basename(f) === SIGNATURE_NAME).map((f) => dirname(f)));
  for (const d of [...signedDirs].sort()) inv.models.push({ path: posixRel(root, d) || '.', format: 'directory', signature: posixRel(root, join(d, SIGNATURE_NAME)) });
  const insideSigned = (f: string): boolean => [...signedDirs].some((d) => f.startsWith(d + sep));
  const datasets: string[] = [];
  for (const f of files) {
    const name = basename(f);
    const rel = posixRel(root, f);
    if (LOCKFILE_NAMES.test(name)) inv.lockfiles.push(rel);
    else if (SUITE_NAMES.test(name)) inv.suites.push(rel);
    else if (PUBLIC_KEY_NAMES.test(name)) inv.publicKeys.push(rel);
    else if (DATASET_EXTENSIONS.test(name)) datasets.push(rel);
    else if (name !== SIGNATURE_NAME && !name.endsWith('.sig') && !insideSigned(f)) {
      let format: DetectedFormat;
      try {
        format = await sniffFile(f);
      } catch {
        continue;
      }
      if (MODEL_FORMATS.has(format) || (format !== 'unknown' && MODEL_CONTAINER_EXTENSIONS.test(name))) {
        const sig = `${f}.sig`;
        inv.models.push({ path: rel, format, ...((await exists(sig)) ? { signature: posixRel(root, sig) } : {}) });
      }
    }
  }
  const osv = dirs.find((d) => /^osv([-_.].*)?$/i.test(basename(d)));
  if (osv !== undefined) inv.osvDb = posixRel(root, osv);
  const role = (re: RegExp): string | undefined => datasets.find((d) => re.test(basename(d)));
  const training = role(/train/i);
  const reference = role(/(^|[^a-z])(ref|reference|baseline)([^a-z]|$)/i) ?? role(/reference|baseline/i);
  const current = role(/current|prod|production|serving|latest|live|recent/i);
  if (training !== undefined) inv.datasets.training = training;
  else if (datasets.length === 1 && datasets[0] !== undefined) inv.datasets.training = datasets[0];
  if (reference !== undefined) inv.datasets.reference = reference;
  if (current !== undefined) inv.datasets.current = current;
  inv.datasets.other = datasets.filter((d) => d !== inv.datasets.training && d !== reference && d !== current);
  return inv;
}

/** A YAML scalar: JSON strings are valid YAML flow scalars, so quoting never goes wrong. */
function q(s: string): string {
  return /^[\w./-]+$/.test(s) && !/^(true|false|null|yes|no|on|off|~|[-\d.]+)$/i.test(s) ? s : JSON.stringify(s);
}

/** The commented starter project file for an inventory. */
export function renderProjectFile(inv: ProjectInventory): string {
  const out: string[] = [
    '# Bulwark project file: what `bulwark check` analyses and which policy gates it.',
    '# Written by `bulwark init` from what it found here; review it, then run `bulwark check`.',
    '# Every field is documented in docs/check.md. Paths are relative to this file.',
    'version: 1',
    '',
    '# Models: each is scanned for code-execution payloads; with a signer, its OpenSSF model-signing',
    '# signature is verified too (sign with `bulwark sign --key KEY.pem MODEL`).',
  ];
  const [key] = inv.publicKeys;
  if (inv.models.length === 0) {
    out.push('models: []', '# models:', '#   - path: model              # a model file or directory', '#     signer:', '#       name: ml-release       # the signer name the policy checks', '#       publicKey: keys/ml-release.pub.pem');
  } else {
    out.push('models:');
    for (const m of inv.models) {
      out.push(`  - path: ${q(m.path)}${m.format !== 'directory' ? `            # ${m.format}` : ''}`);
      if (m.signature !== undefined && !m.signature.endsWith(`${m.path}/${SIGNATURE_NAME}`) && m.signature !== `${m.path}.sig`) out.push(`    signature: ${q(m.signature)}`);
      if (key !== undefined) {
        out.push('    signer:', '      name: ml-release           # the signer name the policy checks: rename to yours', `      publicKey: ${q(key)}`);
      } else {
        out.push('    # signer:                    # add to verify the signature', '    #   name: ml-release', '    #   publicKey: keys/ml-release.pub.pem');
      }
    }
  }
  out.push('', '# Datasets: training data is validated (PII, injection, expectations); reference vs current is');
  out.push('# tested for drift.');
  const d = inv.datasets;
  if (d.training === undefined && d.reference === undefined && d.current === undefined) {
    out.push('# datasets:', '#   training: { path: data/train.csv, label: label }', '#   reference: data/reference.csv', '#   current: data/current.csv');
  } else {
    out.push('datasets:');
    if (d.training !== undefined) {
      out.push('  training:', `    path: ${q(d.training)}`, '    # label: label               # the label column (enables poisoning checks)');
      const [suite] = inv.suites;
      if (suite !== undefined) out.push(`    suite: ${q(suite)}`);
      else out.push('    # suite: data/train.suite.yaml  # expectations (`bulwark data suggest` writes one)');
    }
    if (d.reference !== undefined && d.current !== undefined) out.push(`  reference: ${q(d.reference)}`, `  current: ${q(d.current)}`);
    else if (d.reference !== undefined || d.current !== undefined) out.push(`  # reference: ${q(d.reference ?? 'data/reference.csv')}`, `  # current: ${q(d.current ?? 'data/current.csv')}`);
  }
  for (const o of d.other) out.push(`# also found: ${o}`);
  out.push('', '# Dependencies: lockfiles audited against an offline OSV database (`bulwark deps db import`).');
  if (inv.lockfiles.length > 0 && inv.osvDb !== undefined) {
    out.push('lockfiles:', ...inv.lockfiles.map((l) => `  - ${q(l)}`), `osvDb: ${q(inv.osvDb)}`);
  } else {
    out.push(...inv.lockfiles.map((l, i) => `${i === 0 ? '# lockfiles:\n' : ''}#   - ${q(l)}`), inv.lockfiles.length === 0 ? '# lockfiles: [requirements.txt]' : '', `# osvDb: ${q(inv.osvDb ?? 'osv')}`);
  }
  out.push(
    '',
    '# ML-BOM (CycloneDX 1.6) of the project: models, datasets and libraries with their digests.',
    '# The starter policy requires one (rule ml-bom-present).',
    'bom: true',
    '',
    '# The policy that decides (default: the starter policy shipped with bulwark).',
    '# policy: policy.yaml',
    '',
    `# Where the evidence goes (default: ${DEFAULT_EVIDENCE_DIR}/ beside this file).`,
    `# evidence: ${DEFAULT_EVIDENCE_DIR}`,
    '',
    '# Sign the attestations; the key password comes from the environment variable named here.',
    '# signing:',
    '#   key: keys/attest.key.pem',
    '#   passwordEnv: BULWARK_KEY_PASSWORD',
  );
  return `${out.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n')}\n`;
}

/**
 * `bulwark init`: looks through `dir` and writes a commented starter `dir/bulwark.yaml` (atomically;
 * never over an existing file unless `force`). The text is validated as a project file before it
 * is written, so init never writes a file check would reject.
 */
export async function initProject(options: InitOptions): Promise<InitResult> {
  const opts = { ...DEFAULT_INIT_OPTIONS, ...options };
  const path = join(opts.dir, DEFAULT_PROJECT_FILE);
  if (!opts.force && !opts.dryRun && (await exists(path))) throw new BulwarkError('USAGE', `${path} already exists; pass --force to replace it`);
  const found = await inventoryProject(opts.dir, opts);
  const content = renderProjectFile(found);
  parseProjectConfig(parseYaml(content, { schema: 'core' }), path);
  if (!opts.dryRun) await writeFileAtomic(path, content);
  return { path, content, found, written: !opts.dryRun };
}
