/**
 * The GGUF format: a bounded reader of the header, metadata and tensor infos, with the chat templates
 * found in the metadata analysed statically (see src/formats/jinja).
 */
export { CHAT_TEMPLATE_KEY, DEFAULT_GGUF_LIMITS, GGUF_MAGIC, parseGguf, sniffGguf, type GgufLimits, type ParseGgufOptions } from './parse-gguf.js';
export type { GgufChatTemplate, GgufFacts, GgufMetadataEntry, GgufProblem, GgufProblemKind, GgufTensorInfo, GgufValueTypeName } from './facts.js';
export { GGML_TYPES, type GgmlTypeInfo } from './ggml-types.js';
