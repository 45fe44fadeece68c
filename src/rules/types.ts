import type { GgufFacts } from '../formats/gguf/index.js';
import type { HfConfigFacts } from '../formats/hf-config/index.js';
import type { KerasFacts } from '../formats/keras/index.js';
import type { ChatTemplateFacts as ChatTemplateAnalysis } from '../formats/jinja/index.js';
import type { OnnxFacts } from '../formats/onnx/index.js';
import type { PickleFacts } from '../formats/pickle/index.js';
import type { TensorflowFacts, TfKerasMetadataFacts } from '../formats/tensorflow/index.js';
import type { SafetensorsFacts } from '../formats/safetensors/index.js';
import type { TarAnomalyKind, ZipAnomalyKind } from '../io/index.js';
import type { FindingDraft, RuleMeta } from '../report/index.js';
import type { CallablePolicy } from './pickle/callable-policy.js';

/** Facts about how an archive is built (zip/tar), reduced to what rules judge. */
export interface ArchiveFacts {
  kind: 'archive';
  format: 'zip' | 'tar';
  anomalies: ArchiveAnomaly[];
}

/** One structural oddity of an archive, as found by the reader. */
export interface ArchiveAnomaly {
  /** What the zip or tar reader found (see ANOMALY_RULES for the rule that judges each). */
  kind: ZipAnomalyKind | TarAnomalyKind;
  member: string;
  offset?: number;
  detail: string;
}

/** The format detected from content, against what the file name promises. */
export interface FileFacts {
  kind: 'file';
  /** Lower-case extension including the dot (`.safetensors`), or '' when none. */
  extension: string;
  /** Format id sniffed from the bytes (`pickle`, `zip`, `npy`, ...), or `unknown`. */
  detected: string;
  /** True when the detected content can execute code on load (pickle family). */
  executable: boolean;
}

/** A NumPy `.npy` header. */
export interface NpyFacts {
  kind: 'npy';
  descr: string;
  shape: number[];
  hasObject: boolean;
  dataOffset: number;
}

/** One chat template to judge, from GGUF metadata or a tokenizer_config.json. */
export interface ChatTemplateEntry {
  /** Where it is named: `tokenizer.chat_template`, or a JSON pointer such as `/chat_template`. */
  key: string;
  /** File offset of the key (GGUF), when known. */
  offset?: number;
  byteLength: number;
  /** True when only a prefix was kept (the analysis covers that prefix). */
  truncated: boolean;
  analysis: ChatTemplateAnalysis;
}

/** The chat templates of one file: inference servers render them for every request. */
export interface ChatTemplateFacts {
  kind: 'chat-templates';
  templates: ChatTemplateEntry[];
}

/** Every fact kind a rule can apply to. */
export type Facts =
  | PickleFacts
  | ArchiveFacts
  | FileFacts
  | NpyFacts
  | HfConfigFacts
  | SafetensorsFacts
  | GgufFacts
  | ChatTemplateFacts
  | OnnxFacts
  | TensorflowFacts
  | TfKerasMetadataFacts
  | KerasFacts;

/** Where the facts came from, and the judgement inputs from the user's config. */
export interface RuleContext {
  uri: string;
  member?: string;
  /** The compiled allow/deny lists for pickle globals. */
  callables: CallablePolicy;
  /**
   * How the pickle facts were reached: a plain pickle file, or a container format that legitimately
   * holds several streams (PyTorch legacy, joblib) — rules use it to judge appended streams.
   */
  container: 'plain' | 'pytorch-zip' | 'pytorch-legacy' | 'joblib' | 'npy' | 'other';
}

/** A judgement over one kind of facts. Rules never touch bytes. */
export interface Rule<F extends { kind: string } = Facts> {
  meta: RuleMeta;
  appliesTo: F['kind'];
  check(facts: F, ctx: RuleContext): Iterable<FindingDraft>;
}

/** A rule of any fact kind (the builtin list is heterogeneous). */
export type AnyRule = { [K in Facts['kind']]: Rule<Extract<Facts, { kind: K }>> }[Facts['kind']];
