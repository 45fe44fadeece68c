/**
 * Facts about a safetensors file (spec: huggingface/safetensors README, "Format"): an 8-byte
 * little-endian u64 header length N, N bytes of UTF-8 JSON, then the byte buffer. Facts only:
 * the rules in src/rules/safetensors judge them.
 */

/** One tensor entry of the header, as far as it could be read. */
export interface SafetensorsTensor {
  name: string;
  /** The dtype string as written (may be unknown: see violations). */
  dtype: string;
  /** Dimensions; empty for a scalar. Values above 2^53 are approximated (and are violations anyway). */
  shape: number[];
  /** [begin, end) relative to the start of the byte buffer. */
  offsets: [number, number];
  /** Bytes the dtype and shape require, when both are valid. */
  expectedBytes?: number;
}

/** What is wrong, grouped so that each kind maps to one rule (see src/rules/safetensors). */
export type SafetensorsViolationKind =
  // The header itself (BW-SFT-001).
  | 'header-length'
  | 'header-encoding'
  | 'header-syntax'
  | 'header-not-object'
  | 'duplicate-key'
  | 'tensor-entry'
  | 'dtype'
  | 'shape'
  | 'offsets-form'
  // The tensors against the byte buffer (BW-SFT-002).
  | 'out-of-bounds'
  | 'overlap'
  | 'size-mismatch'
  | 'hole'
  // `__metadata__` (BW-SFT-003).
  | 'metadata';

/** One violation of the format, with enough context for a message. */
export interface SafetensorsViolation {
  kind: SafetensorsViolationKind;
  /** JSON pointer into the header ('' for the file as a whole). */
  pointer: string;
  /** Byte offset in the file when known (header fields: start of the header; buffer: absolute offset). */
  offset: number;
  /** What was found and what the spec expects. */
  message: string;
}

/** Everything read from a safetensors header. */
export interface SafetensorsFacts {
  kind: 'safetensors';
  /** N, the declared header length in bytes. */
  headerLength: number;
  /** Bytes after the header: the tensor byte buffer. */
  dataLength: number;
  /** Tensors in header order (duplicates included, each as written). */
  tensors: SafetensorsTensor[];
  /** `__metadata__` entries whose values are strings (others are violations). */
  metadata: Record<string, string>;
  violations: SafetensorsViolation[];
  /** False when the header could not be read as JSON, so tensors were not checked. */
  headerParsed: boolean;
}
