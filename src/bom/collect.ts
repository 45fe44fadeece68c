import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { BulwarkError, isBulwarkError } from '../errors.js';
import { sha256File } from '../io/index.js';
import type { ReportError } from '../report/types.js';
import { SKIPPED_DIRS } from '../deps/index.js';
import { computeManifest } from '../sign/index.js';
import { MAX_MODEL_CARD_BYTES, parseModelCard } from './model-card.js';
import type { DatasetFacts, ModelConfigFacts, ModelFacts } from './types.js';
import { readWeightFacts, weightFormatOf } from './weights.js';

/** Dataset file extensions (the formats `bulwark data` reads, plus TSV and Arrow). */
export const DATASET_EXTENSIONS: readonly string[] = ['.csv', '.tsv', '.parquet', '.jsonl', '.ndjson', '.arrow'];

/** Bounds of the project walk. */
export const BOM_WALK_LIMITS = Object.freeze({ maxFiles: 100_000, maxDepth: 32 });

/** Largest config.json read. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** A file found by the walk, relative to the root with POSIX separators. */
interface WalkedFile {
  rel: string;
  abs: string;
}

function posix(p: string): string {
  return p.split(sep).join('/');
}

/** Lists regular files under `root` (symbolic links are not followed), bounded. */
export async function walkProject(root: string, signal?: AbortSignal): Promise<WalkedFile[]> {
  const out: WalkedFile[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (signal?.aborted) throw new BulwarkError('ABORTED', `${root}: aborted`);
    if (depth > BOM_WALK_LIMITS.maxDepth) throw new BulwarkError('LIMIT_EXCEEDED', `${dir}: deeper than ${BOM_WALK_LIMITS.maxDepth} directories (limit maxDepth)`);
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = join(dir, e.name);
      if (e.isDirectory()) {
        // The folders the lockfile search skips too, so that both walks of a project see the same tree.
        if (!SKIPPED_DIRS.has(e.name)) await visit(abs, depth + 1);
      } else if (e.isFile()) {
        out.push({ rel: posix(relative(root, abs)), abs });
        if (out.length > BOM_WALK_LIMITS.maxFiles) throw new BulwarkError('LIMIT_EXCEEDED', `${root}: more than ${BOM_WALK_LIMITS.maxFiles} files (limit maxFiles)`);
      }
    }
  };
  await visit(root, 0);
  return out;
}

const ConfigSchema = z.object({
  architectures: z.array(z.string()).optional(),
  model_type: z.string().optional(),
}).passthrough();

/** Scalar config.json fields kept as hyperparameters: architecture size and training-relevant ones. */
const HYPERPARAMETER_KEYS: readonly string[] = [
  'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'intermediate_size', 'vocab_size',
  'max_position_embeddings', 'torch_dtype', 'hidden_act', 'dim', 'n_layers', 'n_heads', 'hidden_dim', 'dropout',
  'attention_dropout', 'initializer_range', 'layer_norm_eps', 'rms_norm_eps', 'rope_theta', 'num_labels', 'problem_type',
];

/** Reads a Hugging Face config.json (JSON only, bounded); problems go to `errors`. */
async function readConfig(abs: string, uri: string, errors: ReportError[]): Promise<ModelConfigFacts | undefined> {
  const st = await stat(abs);
  if (st.size > MAX_CONFIG_BYTES) {
    errors.push({ uri, code: 'LIMIT_EXCEEDED', message: `${uri}: ${st.size} bytes exceeds the ${MAX_CONFIG_BYTES}-byte bound for config.json` });
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(abs, 'utf8'));
  } catch (err) {
    errors.push({ uri, code: 'PARSE_ERROR', message: `${uri}: not valid JSON (${(err as Error).message})` });
    return undefined;
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    errors.push({ uri, code: 'PARSE_ERROR', message: `${uri}: ${parsed.error.issues.map((i) => `'${i.path.join('.')}' ${i.message}`).join('; ')}` });
    return undefined;
  }
  const hyperparameters: Record<string, string | number | boolean> = {};
  const obj = parsed.data as Record<string, unknown>;
  for (const k of HYPERPARAMETER_KEYS) {
    const v = obj[k];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') hyperparameters[k] = v;
  }
  return { architectures: parsed.data.architectures ?? [], ...(parsed.data.model_type ? { modelType: parsed.data.model_type } : {}), hyperparameters };
}

/** The dataset's role from its file name: `train` -> training; `test`, `eval`, `valid` -> testing. */
export function datasetRoleOf(name: string): DatasetFacts['role'] {
  const b = basename(name).toLowerCase();
  if (/(^|[^a-z])train/.test(b)) return 'training';
  if (/(^|[^a-z])(test|eval|valid|val|holdout)([^a-z]|$)|(^|[^a-z])(testing|evaluation|validation)/.test(b)) return 'testing';
  return 'unknown';
}

/** Models and local datasets under the root. */
export interface CollectedFacts {
  models: ModelFacts[];
  datasets: DatasetFacts[];
  errors: ReportError[];
}

/**
 * Finds the models (a directory holding weight files at its top level, or a single weights file
 * given as the path) and the local dataset files under `root`, hashes them and parses the weights.
 */
export async function collectFacts(rootPath: string, signal?: AbortSignal): Promise<CollectedFacts> {
  const root = resolve(rootPath);
  let st;
  try {
    st = await lstat(root);
  } catch (err) {
    throw new BulwarkError('FILE_NOT_FOUND', `${rootPath}: no such file or directory`, { cause: err });
  }
  const errors: ReportError[] = [];
  const files: WalkedFile[] = st.isDirectory() ? await walkProject(root, signal) : [{ rel: basename(root), abs: root }];
  const modelDirs = new Set<string>();
  for (const f of files) if (weightFormatOf(f.rel) !== undefined) modelDirs.add(posix(dirname(f.rel)));
  const models: ModelFacts[] = [];
  for (const dir of [...modelDirs].sort()) {
    const modelPath = st.isDirectory() ? join(root, dir) : root;
    const inModel = files.filter((f) => posix(dirname(f.rel)) === dir);
    let manifest;
    try {
      manifest = await computeManifest({ modelPath, signaturePath: st.isDirectory() ? join(modelPath, 'model.sig') : `${root}.sig`, singleFileName: 'basename', signal });
    } catch (err) {
      if (isBulwarkError(err, 'ABORTED')) throw err;
      errors.push({ uri: dir, code: isBulwarkError(err) ? err.code : 'FILE_UNREADABLE', message: (err as Error).message });
      continue;
    }
    const model: ModelFacts = {
      path: st.isDirectory() ? dir : basename(root),
      singleFile: !st.isDirectory(),
      name: manifest.subjectName,
      rootDigest: manifest.rootDigest,
      files: manifest.resources.map((r) => ({ name: r.name, sha256: r.digest })),
      weights: [],
    };
    for (const f of inModel) {
      if (weightFormatOf(f.rel) === undefined) continue;
      const w = await readWeightFacts(f.abs, f.rel, signal);
      if (w.error !== undefined) errors.push({ uri: f.rel, code: 'PARSE_ERROR', message: `${f.rel}: ${w.error}` });
      model.weights.push(w);
    }
    const card = st.isDirectory() ? inModel.find((f) => basename(f.rel).toLowerCase() === 'readme.md') : undefined;
    if (card) {
      const size = (await stat(card.abs)).size;
      if (size > MAX_MODEL_CARD_BYTES) errors.push({ uri: card.rel, code: 'LIMIT_EXCEEDED', message: `${card.rel}: ${size} bytes exceeds the ${MAX_MODEL_CARD_BYTES}-byte bound for a model card` });
      else {
        model.card = parseModelCard(await readFile(card.abs, 'utf8'), card.rel);
        for (const p of model.card.problems) errors.push({ uri: card.rel, code: 'PARSE_ERROR', message: p });
      }
    }
    const config = !st.isDirectory() ? undefined : inModel.find((f) => basename(f.rel) === 'config.json');
    if (config) {
      const c = await readConfig(config.abs, config.rel, errors);
      if (c) model.config = c;
    }
    models.push(model);
  }
  const datasets: DatasetFacts[] = [];
  for (const f of files) {
    if (!DATASET_EXTENSIONS.some((e) => f.rel.toLowerCase().endsWith(e))) continue;
    try {
      const size = (await stat(f.abs)).size;
      datasets.push({ name: f.rel, local: true, sha256: await sha256File(f.abs, signal), size, role: datasetRoleOf(f.rel) });
    } catch (err) {
      if (signal?.aborted) throw new BulwarkError('ABORTED', `${rootPath}: aborted`, { cause: err });
      errors.push({ uri: f.rel, code: 'FILE_UNREADABLE', message: `${f.rel}: cannot read (${(err as Error).message})` });
    }
  }
  return { models, datasets, errors };
}
