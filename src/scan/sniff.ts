/**
 * Format detection from content. The extension is never trusted: it is only compared with what
 * the bytes say (BW-FMT-001). Magic numbers first, in the order of BUILTIN_FORMATS; the protocol
 * 0/1 pickle check, which needs a bounded trial parse, runs last and only when nothing matched.
 */
import { sniffGguf } from '../formats/gguf/index.js';
import { sniffHdf5 } from '../formats/keras/index.js';
import { sniffNpy } from '../formats/numpy/index.js';
import { sniffOnnx } from '../formats/onnx/index.js';
import { sniffGraphDef, sniffKerasMetadata, sniffSavedModel } from '../formats/tensorflow/index.js';
import { sniffSafetensors } from '../formats/safetensors/index.js';
import { sniffPickle } from '../formats/pickle/index.js';
import { sniffCompression, sniffTar, sniffZip } from '../io/index.js';

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
  | 'native'
  | 'script'
  | 'onnx'
  | 'tensorflow'
  | 'keras-metadata'
  | 'unknown';

/** How many leading bytes sniffing needs. */
export const SNIFF_BYTES = 512;

/** One content sniffer: given the first SNIFF_BYTES and the total size, which format (if any). */
export interface FormatSniffer {
  id: string;
  sniff(head: Uint8Array, size: number): DetectedFormat | undefined;
}

function startsWith(head: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (head.length < at + magic.length) return false;
  return magic.every((b, i) => head[at + i] === b);
}

/** ELF, Mach-O (thin and fat) and PE executables and libraries. */
export function sniffNative(head: Uint8Array): boolean {
  if (startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) return true;
  const machO = [
    [0xfe, 0xed, 0xfa, 0xce],
    [0xfe, 0xed, 0xfa, 0xcf],
    [0xce, 0xfa, 0xed, 0xfe],
    [0xcf, 0xfa, 0xed, 0xfe],
    [0xca, 0xfe, 0xba, 0xbe],
  ];
  if (machO.some((m) => startsWith(head, m))) return true;
  // PE: 'MZ', then e_lfanew (u32 at 0x3c) pointing at 'PE\0\0' inside the head.
  if (startsWith(head, [0x4d, 0x5a]) && head.length >= 0x40) {
    const lfanew = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0x3c, true);
    return startsWith(head, [0x50, 0x45, 0x00, 0x00], lfanew);
  }
  return false;
}

/** A script with an interpreter line (`#!/bin/sh`, `#!/usr/bin/env python`). */
export function sniffShebang(head: Uint8Array): boolean {
  return startsWith(head, [0x23, 0x21]) && head.slice(2, 64).some((b) => b === 0x2f);
}

const when =
  (format: DetectedFormat, test: (head: Uint8Array, size: number) => boolean) =>
  (head: Uint8Array, size: number): DetectedFormat | undefined =>
    test(head, size) ? format : undefined;

/**
 * The content sniffers, most specific magic first. An explicit list: nothing registers itself.
 * Compression before tar (a tar header checksum can look valid by chance only after real magics
 * failed), safetensors last (its test is the weakest).
 */
export const BUILTIN_FORMATS: readonly FormatSniffer[] = [
  { id: 'zip', sniff: when('zip', sniffZip) },
  { id: 'npy', sniff: when('npy', sniffNpy) },
  { id: 'hdf5', sniff: when('hdf5', sniffHdf5) },
  { id: 'gguf', sniff: when('gguf', sniffGguf) },
  { id: 'pickle', sniff: when('pickle', sniffPickle) },
  { id: 'compressed', sniff: (head) => sniffCompression(head) },
  { id: 'tar', sniff: when('tar', sniffTar) },
  { id: 'safetensors', sniff: when('safetensors', sniffSafetensors) },
  { id: 'native', sniff: when('native', sniffNative) },
  { id: 'script', sniff: when('script', sniffShebang) },
];

/**
 * Protobuf formats have no magic number: these sniffers need the file name as well as the head
 * (see each for its false-positive rate on random bytes). Keras metadata and SavedModel before
 * GraphDef, whose structural test is the loosest.
 */
export const NAMED_FORMATS: readonly { id: DetectedFormat; sniff: (head: Uint8Array, name: string, size: number) => boolean }[] = [
  { id: 'keras-metadata', sniff: sniffKerasMetadata },
  { id: 'tensorflow', sniff: (h, n, s) => sniffSavedModel(h, n, s) || sniffGraphDef(h, n, s) },
  { id: 'onnx', sniff: sniffOnnx },
];

/** The format of the first name-aware sniffer that recognises `head`, or undefined. */
export function sniffNamed(head: Uint8Array, name: string, size: number): DetectedFormat | undefined {
  return NAMED_FORMATS.find((f) => f.sniff(head, name, size))?.id;
}

/** The format of the first sniffer that recognises `head`, or undefined. */
export function sniffMagic(head: Uint8Array, size: number): DetectedFormat | undefined {
  for (const f of BUILTIN_FORMATS) {
    const hit = f.sniff(head, size);
    if (hit !== undefined) return hit;
  }
  return undefined;
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
