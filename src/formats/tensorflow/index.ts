/**
 * TensorFlow: SavedModel (`saved_model.pb`) and frozen GraphDef (`.pb`) graphs, and the Keras
 * metadata (`keras_metadata.pb`) tf.keras stores beside a SavedModel. Sniffers and bounded parsers
 * that return facts.
 */
export type { KerasLayer, TensorflowFacts, TfKerasMetadataFacts, TfMetaGraph, TfNode, TfOpUse } from './facts.js';
export { parseKerasMetadata, sniffKerasMetadata, type ParseKerasMetadataOptions } from './parse-keras-metadata.js';
export { detectTensorflowContainer, parseTensorflow, sniffGraphDef, sniffSavedModel, type ParseTensorflowOptions } from './parse-tensorflow.js';
