/**
 * Whole-file compression wrappers: `model.pkl.gz`, joblib dumps compressed with zlib or gzip, and
 * the formats Bulwark recognises but cannot open without a dependency (bzip2, xz, lz4, zstd). A
 * wrapped file is decompressed into memory under the same limits as a zip member, and becomes a
 * ByteSource whose member chain says how it was reached (`model.pkl.gz` -> member `(gzip)`).
 */
import { BulwarkError } from '../errors.js';
import { bufferSource, childMember, describeSource, type ByteSource } from './byte-source.js';
import { inflateBounded, type InflateOptions } from './inflate.js';

/** Compression formats recognised by their magic bytes. */
export type CompressionKind = 'gzip' | 'zlib' | 'bzip2' | 'xz' | 'lz4' | 'zstd';

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/**
 * The compression format `head` starts with, or undefined. zlib (RFC 1950) is only recognised
 * with a 32 KiB window (first byte 0x78, what zlib and joblib write) and a valid FCHECK, because a
 * bare two-byte header would otherwise match too many plain files.
 */
export function sniffCompression(head: Uint8Array): CompressionKind | undefined {
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip';
  if (head.length >= 2 && head[0] === 0x78) {
    const flg = head[1] ?? 0;
    // RFC 1950 2.2: CMF*256 + FLG is a multiple of 31; FDICT (a preset dictionary) is never used here.
    if ((0x78 * 256 + flg) % 31 === 0 && (flg & 0x20) === 0) return 'zlib';
  }
  if (startsWith(head, [0x42, 0x5a, 0x68]) && (head[3] ?? 0) >= 0x31 && (head[3] ?? 0) <= 0x39) return 'bzip2';
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  // LZ4 frame format, and the legacy frame the `lz4 -l` tool still writes.
  if (startsWith(head, [0x04, 0x22, 0x4d, 0x18]) || startsWith(head, [0x02, 0x21, 0x4c, 0x18])) return 'lz4';
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  return undefined;
}

/**
 * Decompresses a whole gzip or zlib file into memory, bounded by `limits.maxMemberBytes`, the
 * shared budget and `limits.maxCompressionRatio`. The result's member is `(gzip)` or `(zlib)`
 * appended to `src`'s chain. Throws UNSUPPORTED for bzip2, xz, lz4 and zstd (Node has no built-in
 * decoder for them, so the file is reported as not analysed), LIMIT_EXCEEDED for bombs and
 * PARSE_ERROR for corrupt streams.
 */
export async function decompressToSource(src: ByteSource, kind: CompressionKind, opts: InflateOptions): Promise<ByteSource> {
  const where = describeSource(src);
  switch (kind) {
    case 'gzip':
    case 'zlib': {
      const bytes = await inflateBounded({ where, offset: 0, size: src.size, load: () => src.read(0, src.size) }, kind, opts);
      return bufferSource(bytes, src.uri, childMember(src, `(${kind})`));
    }
    case 'bzip2':
    case 'xz':
    case 'lz4':
    case 'zstd':
      throw new BulwarkError('UNSUPPORTED', `${where}: ${kind} compression is recognised but not supported; the content was not analysed`);
    default: {
      const unreachable: never = kind;
      throw new BulwarkError('INTERNAL', `${where}: unknown compression ${String(unreachable)}`);
    }
  }
}
