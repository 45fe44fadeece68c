/**
 * The safetensors format: bounded header validation that reads the header, never the tensor bytes.
 */
export { DEFAULT_SAFETENSORS_LIMITS, parseSafetensors, sniffSafetensors, type ParseSafetensorsOptions, type SafetensorsLimits } from './parse-safetensors.js';
export type { SafetensorsFacts, SafetensorsTensor, SafetensorsViolation, SafetensorsViolationKind } from './facts.js';
export { SAFETENSORS_DTYPE_BITS, dtypeBits } from './dtypes.js';
export { parseStrictJson, JsonSyntaxError, type JsonValue, type JsonEntry, type DuplicateKey, type StrictJsonLimits, type StrictJsonResult } from './strict-json.js';
