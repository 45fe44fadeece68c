/**
 * Facts about an ONNX model (onnx/onnx.proto, ModelProto), reduced to what rules judge. Parsers
 * return facts, never severities.
 */

/** One `opset_import` entry (OperatorSetIdProto). */
export interface OnnxOpset {
  domain: string;
  version: number;
}

/** Every use of one (domain, op_type) pair, with where it first appears. */
export interface OnnxOperatorUse {
  /** NodeProto.domain as written ('' is the default ai.onnx domain). */
  domain: string;
  opType: string;
  count: number;
  /** Offset of the first NodeProto using it. */
  offset: number;
  /** Name of that node ('' when unnamed). */
  node: string;
  /** Where that node is: `graph`, `graph/If_0.then_branch`, `function:custom.MyFn`, `training[0].algorithm`. */
  graph: string;
  /** True when a model-local FunctionProto defines this (domain, op_type): an ONNX subgraph, not native code. */
  localFunction: boolean;
}

/** Why an external-data location is not a plain relative path inside the model directory. */
export type ExternalLocationIssue =
  | 'empty'
  | 'absolute'
  | 'parent-segment'
  | 'windows-drive'
  | 'unc'
  | 'nul-byte'
  | 'url'
  | 'home-relative'
  | 'symlink'
  | 'escapes-directory';

/** What the scanner found about the file an external-data location names. */
export type ExternalFileStatus =
  /** The sibling file exists; `size` is its length. */
  | { status: 'found'; size: number; symlink: boolean }
  /** The location is relative and safe-looking, but no such file is beside the model. */
  | { status: 'missing' }
  /** Not looked up: no resolver was given, or the location is unsafe (never opened). */
  | { status: 'not-checked' };

/** The external-data reference of a tensor (TensorProto.external_data, field 13). */
export interface OnnxExternalData {
  /** The `location` entry, undefined when absent. */
  location?: string;
  /** The `offset` entry, parsed; undefined when absent; NaN when not a non-negative integer. */
  offset?: number;
  /** The `length` entry, parsed like offset. */
  length?: number;
  /** Every key as written (location, offset, length, checksum, or unknown ones). */
  keys: string[];
  /** What is wrong with `location`, empty when it is a plain relative path. */
  locationIssues: ExternalLocationIssue[];
  file: ExternalFileStatus;
}

/** One tensor: an initializer, a sparse initializer's values, or a tensor attribute. */
export interface OnnxTensor {
  name: string;
  /** Offset of the TensorProto. */
  offset: number;
  graph: string;
  origin: 'initializer' | 'sparse-initializer' | 'attribute';
  /** TensorProto.DataType (1 FLOAT, 7 INT64, ...). */
  dataType: number;
  /** dims as written; values outside the safe-integer range are kept as NaN. */
  dims: number[];
  /**
   * Bytes the dims and data type call for: product(dims) x element size (4-bit types pack two per
   * byte). Undefined when the type has no fixed size (STRING, unknown) or a dim is negative or NaN;
   * Infinity when the product exceeds 2^53.
   */
  expectedBytes?: number;
  /** Length of raw_data (field 9) when present; the bytes themselves are skipped. */
  rawDataLength?: number;
  /** Bytes in the fixed-width typed fields float_data (4) and double_data (10), when present. */
  typedDataBytes?: number;
  /** Elements in string_data (6), when present. */
  stringCount?: number;
  /** data_location (14): 0 DEFAULT, 1 EXTERNAL. */
  dataLocation: number;
  external?: OnnxExternalData;
}

/** Facts about one ONNX ModelProto. */
export interface OnnxFacts {
  kind: 'onnx';
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  modelVersion?: number;
  opsets: OnnxOpset[];
  operators: OnnxOperatorUse[];
  /** Model-local functions (ModelProto.functions), by domain and name. */
  localFunctions: { domain: string; name: string; offset: number }[];
  /** Tensors retained for rules (all of them up to a cap, then only those with external data or a size mismatch). */
  tensors: OnnxTensor[];
  /** Every tensor seen, retained or not. */
  tensorCount: number;
  nodeCount: number;
  /** Graphs walked: the main graph, subgraphs in attributes, training graphs. */
  graphCount: number;
  /** Deepest subgraph nesting (0 = main graph only). */
  maxGraphDepth: number;
  metadata: { key: string; value: string }[];
  /** The first structural problem; what was read before it is still reported. */
  error?: { offset: number; message: string };
}
