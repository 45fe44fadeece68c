/**
 * ONNX models: a content sniff (ONNX has no magic number) and a bounded ModelProto parser that
 * returns facts about operators, tensors and external-data references.
 */
export type { ExternalFileStatus, ExternalLocationIssue, OnnxExternalData, OnnxFacts, OnnxOpset, OnnxOperatorUse, OnnxTensor } from './facts.js';
export { externalLocationIssues, parseOnnx, sniffOnnx, type ParseOnnxOptions, type SiblingFileInfo } from './parse-onnx.js';
