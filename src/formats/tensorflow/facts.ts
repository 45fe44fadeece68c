/**
 * Facts about TensorFlow graphs (SavedModel `saved_model.pb`, frozen GraphDef `.pb`) and about the
 * Keras metadata stored beside a SavedModel (`keras_metadata.pb`). Parsers return facts, never
 * severities.
 */

/** One node, kept as an example of its op. */
export interface TfNode {
  name: string;
  op: string;
  offset: number;
  /** `graph` (a MetaGraphDef's or a frozen GraphDef's node list) or `function:<name>` (FunctionDefLibrary). */
  scope: string;
  /** The first inputs as written (`Const_1`, `x:output:0`, `^ctrl`). */
  inputs: string[];
  /** For each input: the string a DT_STRING Const feeding it holds, when known (e.g. a file path). */
  inputLiterals: (string | undefined)[];
  /** String attrs (AttrValue.s, and the first strings of AttrValue.list.s), cut to 256 bytes. */
  attrs: Record<string, string>;
  /** True when the node belongs to the checkpoint saver (see TensorflowFacts.saver). */
  saverContext: boolean;
}

/** Every node of one op type. */
export interface TfOpUse {
  op: string;
  count: number;
  /** Nodes of this op inside the saver context. */
  saverCount: number;
  /** Up to a few nodes outside the saver context, else up to two inside it. */
  examples: TfNode[];
}

/** One MetaGraphDef of a SavedModel. */
export interface TfMetaGraph {
  tags: string[];
  tensorflowVersion?: string;
  /** SaverDef.restore_op_name (field 3), e.g. `save/restore_all` (TF1) or `StatefulPartitionedCall_2` (TF2). */
  restoreOp?: string;
  /** SaverDef.filename_tensor_name (field 1). */
  filenameTensor?: string;
}

/** Facts about one TensorFlow graph file. */
export interface TensorflowFacts {
  kind: 'tensorflow';
  /** `saved-model`: a SavedModel proto; `graph-def`: a bare (frozen) GraphDef. */
  container: 'saved-model' | 'graph-def';
  schemaVersion?: number;
  metaGraphs: TfMetaGraph[];
  ops: TfOpUse[];
  nodeCount: number;
  /** FunctionDefs walked (every MetaGraphDef's library). */
  functionCount: number;
  /** How the saver context was recognised: node name scopes and function names, listed for the report. */
  saverScopes: string[];
  /** The first structural problem; what was read before it is still reported. */
  error?: { offset: number; message: string };
}

/** One layer (or other object) described in keras_metadata.pb. */
export interface KerasLayer {
  /** SavedObject.node_path (field 3), e.g. `root.layer_with_weights-0`. */
  path: string;
  /** SavedObject.identifier (field 4), e.g. `_tf_keras_layer`. */
  identifier: string;
  className: string;
  name?: string;
  /** `module` of the serialised object (Keras >= 2.13), when present. */
  module?: string;
  /** `registered_name` of the serialised object, when present (custom objects). */
  registeredName?: string;
  /** For Lambda layers: `function_type` (`lambda`: marshalled bytecode, `function`: a named function). */
  functionType?: string;
  /** For Lambda layers: the named function's module (`function_type: function`). */
  functionModule?: string;
  /** Offset of the SavedObject. */
  offset: number;
  /** JSON pointer of the object inside the node's metadata (`''` for the top level). */
  pointer: string;
}

/** Facts about keras_metadata.pb (a KerasSavedMetadata proto of JSON strings). */
export interface TfKerasMetadataFacts {
  kind: 'tf-keras-metadata';
  /** SavedObjects read. */
  objectCount: number;
  /** Every object with a `class_name` found in the JSON, at any nesting (layers of nested models too). */
  layers: KerasLayer[];
  /** Nodes whose metadata was not valid JSON, with the SavedObject offset. */
  badJson: { offset: number; path: string; message: string }[];
  error?: { offset: number; message: string };
}
