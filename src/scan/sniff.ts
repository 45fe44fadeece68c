/**
 * Format detection from content. The extension is never trusted: it is only compared with what
 * the bytes say (BW-FMT-001). Magic numbers first; the protocol 0/1 pickle check, which needs a
 * trial parse, runs last and only when nothing else matched.
 */

/** Every format the scanner can tell apart by content. */
export type DetectedFormat =
  | 'pickle'
  | 'zip'
  | 'tar'
  | 'gzip'
  | 'zlib'
  | 'bzip2'
  | 'xz'
  | 'lz4'
  | 'zstd'
  | 'npy'
  | 'safetensors'
  | 'gguf'
  | 'hdf5'
  | 'unknown';

/** How many leading bytes sniffing needs. */
export const SNIFF_BYTES = 512;

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(head: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (head.length < at + magic.length) return false;
  return magic.every((b, i) => head[at + i] === b);
}

/**
 * safetensors: an 8-byte little-endian header length, then a JSON object. The length must fit
 * the file, so random data rarely passes.
 */
export function sniffSafetensors(head: Uint8Array, size: number): boolean {
  if (head.length < 9) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const n = view.getBigUint64(0, true);
  return n >= 2n && n <= BigInt(size - 8) && head[8] === 0x7b;
}

/** GGUF: `GGUF` then a little-endian version (1-3 today). */
export function sniffGguf(head: Uint8Array): boolean {
  return startsWith(head, [0x47, 0x47, 0x55, 0x46]);
}

/** HDF5 superblock signature at offset 0 (Keras .h5 files). */
export function sniffHdf5(head: Uint8Array): boolean {
  return startsWith(head, HDF5_MAGIC);
}

/**
 * PyTorch's legacy (pre-1.6) serialisation starts with a pickled magic number
 * 0x1950a86a20f9469cfc6c (protocol 2, LONG1). Several pickles follow, then raw storages.
 */
export const TORCH_LEGACY_MAGIC: readonly number[] = [
  0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
];

/** True for a PyTorch legacy-format file (its first pickle is the magic number). */
export function isTorchLegacy(head: Uint8Array): boolean {
  return startsWith(head, TORCH_LEGACY_MAGIC);
}
