/**
 * Facts about a GGUF file (spec: ggml docs/gguf.md, "File Structure"): header, metadata key/values,
 * tensor infos, and the chat templates found in the metadata (analysed, never rendered). Facts only;
 * the rules in src/rules/gguf judge them.
 */
import type { ChatTemplateFacts } from '../jinja/index.js';

/** GGUF metadata value types (gguf.md, `gguf_metadata_value_type`), by name. */
export type GgufValueTypeName =
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'float32'
  | 'bool'
  | 'string'
  | 'array'
  | 'uint64'
  | 'int64'
  | 'float64';

/** One metadata key/value. */
export interface GgufMetadataEntry {
  key: string;
  type: GgufValueTypeName;
  /** File offset of the key. */
  offset: number;
  /** Scalars; 64-bit integers beyond 2^53 as decimal strings; strings up to a bound. */
  value?: string | number | boolean;
  /** True when a string value was cut at the bound. */
  truncated?: boolean;
  /** Element type and length, for arrays (nested arrays: the outer ones). */
  arrayType?: GgufValueTypeName;
  arrayLength?: number;
}

/** One tensor info. */
export interface GgufTensorInfo {
  name: string;
  /** ne[0..n_dims), innermost first (as ggml stores them). */
  dims: number[];
  /** ggml_type id. */
  type: number;
  /** ggml_type name when known (`F32`, `Q4_K`, ...). */
  typeName?: string;
  /** Offset relative to the start of the tensor data section. */
  offset: number;
  /** Bytes the type and dims require, when computable. */
  nbytes?: number;
  /** File offset of the tensor info. */
  infoOffset: number;
}

/** A chat template from the metadata, with its analysis. */
export interface GgufChatTemplate {
  /** `tokenizer.chat_template` or `tokenizer.chat_template.<name>`. */
  key: string;
  /** File offset of the key. */
  offset: number;
  /** Bytes of the template as stored. */
  byteLength: number;
  /** True when only a prefix was kept (the analysis covers that prefix). */
  truncated: boolean;
  analysis: ChatTemplateFacts;
}

/** What is wrong with the structure; each kind is judged by BW-GGF-001. */
export type GgufProblemKind =
  /** The file ends before what the header declares. */
  | 'truncated'
  /** A count or length needs more bytes than the file has (a memory-exhaustion vector for parsers that allocate first). */
  | 'exceeds-file'
  /** A count or length is above Bulwark's bound (see GgufLimits). */
  | 'exceeds-bound'
  /** Arrays nested deeper than the bound (llama.cpp rejects any nesting). */
  | 'array-nesting'
  /** A value type id outside the spec. */
  | 'bad-value-type'
  /** A bool byte other than 0 or 1. */
  | 'bad-bool'
  /** A key or string that is not valid UTF-8, or an empty key. */
  | 'bad-string'
  /** The same metadata key twice. */
  | 'duplicate-key'
  /** general.alignment that is not a non-zero power of two stored as uint32. */
  | 'bad-alignment'
  /** More than GGML_MAX_DIMS (4) dimensions. */
  | 'too-many-dims'
  /** A dimension that is negative as int64, or a product that overflows int64. */
  | 'bad-dim'
  /** A ggml_type id Bulwark does not know. */
  | 'unknown-tensor-type'
  /** ne[0] not a multiple of the type's block size. */
  | 'block-misaligned'
  /** A tensor offset that is not a multiple of the alignment. */
  | 'offset-misaligned'
  /** Tensor data past the end of the file. */
  | 'data-out-of-bounds'
  /** Two tensors sharing bytes. */
  | 'tensor-overlap'
  /** Two tensors with the same name. */
  | 'duplicate-tensor'
  /** Tensor data bytes that no tensor accounts for. */
  | 'data-gap';

/** One structural problem. */
export interface GgufProblem {
  kind: GgufProblemKind;
  /** File offset where it was found. */
  offset: number;
  /** The key, tensor name or header field concerned. */
  field: string;
  message: string;
}

/** Everything read from a GGUF file. */
export interface GgufFacts {
  kind: 'gguf';
  version: number;
  /** Declared counts. */
  tensorCount: number;
  kvCount: number;
  alignment: number;
  metadata: GgufMetadataEntry[];
  tensors: GgufTensorInfo[];
  /** File offset of the tensor data section, when the tensor infos were read. */
  dataOffset?: number;
  chatTemplates: GgufChatTemplate[];
  problems: GgufProblem[];
  /** True when the header, every key/value and every tensor info were read. */
  complete: boolean;
}
