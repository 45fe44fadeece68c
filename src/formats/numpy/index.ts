/**
 * NumPy formats: the `.npy` header (and through it, the pickle inside object arrays). `.npz`
 * archives are zip files of `.npy` members and are read with the zip reader in `src/io/zip.ts`.
 */
export { MAX_NPY_HEADER_BYTES, NPY_MAGIC, parseNpyHeader, sniffNpy, type NpyHeader } from './parse-npy.js';
export {
  DEFAULT_PY_LITERAL_LIMITS,
  parsePyLiteral,
  renderPyLiteral,
  type PyLiteral,
  type PyLiteralLimits,
  type PyLiteralResult,
} from './py-literal.js';
