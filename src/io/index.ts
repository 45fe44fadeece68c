/**
 * Byte sources, bounded readers and writers: files, archive members (zip, tar), compressed
 * wrappers (gzip, zlib), limits and atomic output.
 */
export { openFileSource, bufferSource, sliceSource, childMember, describeSource, type ByteSource, type FileByteSource } from './byte-source.js';
export { DEFAULT_LIMITS, resolveLimits, type Limits, type LimitOverrides } from './limits.js';
export { writeFileAtomic } from './atomic-write.js';
export { sha256File } from './file-digest.js';
export { createInflateBudget, inflateBounded, RATIO_EXEMPT_BYTES, type InflateBudget, type InflateOptions, type InflateFormat } from './inflate.js';
export {
  readZipDirectory,
  openZipMember,
  sniffZip,
  type ZipDirectory,
  type ZipEntry,
  type ZipAnomaly,
  type ZipAnomalyKind,
} from './zip.js';
export { readTarEntries, openTarMember, sniffTar, findTarAnomalies, type TarEntry, type TarAnomaly, type TarAnomalyKind } from './tar.js';
export { sniffCompression, decompressToSource, type CompressionKind } from './gzip.js';
export { checkMemberPath, type MemberPathIssue } from './member-path.js';
