import type { LockfileFacts } from '../deps/types.js';
import type { Report } from '../report/types.js';
import type { ModelCardFacts } from './model-card.js';
import type { WeightFacts } from './weights.js';

/** Output formats of the ML-BOM. */
export const BOM_FORMATS = ['cyclonedx', 'spdx'] as const;
/** One of {@link BOM_FORMATS}. */
export type BomFormat = (typeof BOM_FORMATS)[number];

/** Reads the lockfiles under a root (src/deps `readDependencies`); injectable for tests. */
export type DependencyReader = (root: string, signal?: AbortSignal) => Promise<LockfileFacts[]>;

/** Options of {@link buildBom}. */
export interface BomOptions {
  /** A model directory, a single weights file, or a whole project directory. */
  path: string;
  format: BomFormat;
  /** Fingerprint report JSON files from `bulwark data fingerprint`, matched to datasets by file digest. */
  datasetFingerprints?: readonly string[];
  /** The BOM's timestamp; `null` leaves it out (CycloneDX) or uses the Unix epoch (SPDX requires one). */
  clock?: (() => Date) | null;
  /**
   * Derive the serial number / document IRI from the content (a UUID from the SHA-256 of the
   * document without its serial and timestamp), so repeated runs over the same inputs are
   * byte-identical. Otherwise a random UUID.
   */
  reproducible?: boolean;
  /** Lockfile reader (defaults to the dependency audit's parsers). */
  readDependencies?: DependencyReader;
  signal?: AbortSignal;
}

/** Defaults of {@link BomOptions}. */
export const DEFAULT_BOM_OPTIONS = Object.freeze({
  clock: (): Date => new Date(),
  reproducible: false,
});

/** Hyperparameters and architecture read from a Hugging Face `config.json`. */
export interface ModelConfigFacts {
  architectures: string[];
  modelType?: string;
  /** Scalar fields kept as hyperparameters (hidden_size, num_hidden_layers, vocab_size, torch_dtype, ...). */
  hyperparameters: Record<string, string | number | boolean>;
}

/** One model found under the root. */
export interface ModelFacts {
  /** Directory (or file) relative to the root, POSIX separators; `.` for the root itself. */
  path: string;
  /** True when the model is a single weights file given as the path (no card or config read). */
  singleFile: boolean;
  /** The OMS subject name: the basename of the model path (what `bulwark verify` reports). */
  name: string;
  /** OMS root digest over the model's files (src/sign computeManifest), the digest a signature covers. */
  rootDigest: string;
  /** Every file of the model with its SHA-256 (the OMS manifest resources). */
  files: { name: string; sha256: string }[];
  weights: WeightFacts[];
  card?: ModelCardFacts;
  config?: ModelConfigFacts;
}

/** One dataset: a local file, or a dataset the model card names. */
export interface DatasetFacts {
  /** Relative path of a local file, or the Hub id the card names. */
  name: string;
  local: boolean;
  sha256?: string;
  size?: number;
  /** Fingerprint fields from a `bulwark data fingerprint` report (content digest, schema digest, rows, ...). */
  fingerprint?: Record<string, string | number>;
  /** How the dataset was used, from its file name (`train`, `test`/`eval`/`valid`) or the card. */
  role: 'training' | 'testing' | 'unknown';
}

/** Everything the BOM is built from: the same facts for CycloneDX and SPDX. */
export interface BomFacts {
  /** Basename of the root, the BOM's top component. */
  rootName: string;
  models: ModelFacts[];
  datasets: DatasetFacts[];
  lockfiles: LockfileFacts[];
  toolVersion: string;
}

/** The result of {@link buildBom}: the document (CycloneDX or SPDX JSON) and a kind 'bom' report. */
export interface BomResult {
  document: unknown;
  report: Report;
}
