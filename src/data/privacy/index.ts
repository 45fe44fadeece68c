/** Dataset privacy and provenance: keyed pseudonymisation, fingerprints and their diff. */
export { base32, DEFAULT_KEY_ID, MIN_PSEUDONYM_KEY_BYTES, pseudonymizeDataset, pseudonymValue, type PseudonymizeOptions, type PseudonymizeResult } from './pseudonymize.js';
export {
  canonicalNumber,
  canonicalRow,
  fingerprintDataset,
  FINGERPRINT_VERSION,
  ltHashAdd,
  ltHashDigest,
  type ColumnFingerprint,
  type DataFingerprintReport,
  type DatasetFingerprint,
  type FingerprintOptions,
} from './fingerprint.js';
export { diffFingerprints, parseFingerprintReport, readFingerprintReport, renderFingerprintDiff, type FingerprintDiff, type StatChange } from './diff.js';
export { typeFamily, type DatasetColumn, type TypeFamily } from './dataset.js';
