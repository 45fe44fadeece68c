/**
 * A ZIP reader written for a scanner (PKWARE APPNOTE.TXT 6.3.10), not for extraction.
 *
 * Why not yauzl or another library: a security scanner must see the anomalies that real attacks
 * use to make a scanner and a loader disagree about what is in the archive. Published picklescan
 * bypasses set the "encrypted" general-purpose flag on a member that PyTorch still loads (Python's
 * zipfile then refuses to read it, so Python-based scanners skip it), give a member one name in its
 * local header and another in the central directory, repeat a name, put junk before the archive,
 * or rely on data descriptors. General-purpose libraries either reject such archives or silently
 * normalise them, and then the scanner looks at different bytes than `torch.load` does. This reader
 * reads what the loaders read (central directory first, as PyTorch's miniz and Python's zipfile
 * do; flags never stop it from reading) and reports every disagreement as a {@link ZipAnomaly}.
 */
import { crc32 } from 'node:zlib';

import { BulwarkError, isBulwarkError } from '../errors.js';
import { bufferSource, childMember, describeSource, sliceSource, type ByteSource } from './byte-source.js';
import { inflateBounded, type InflateOptions } from './inflate.js';
import type { Limits } from './limits.js';
import { checkMemberPath } from './member-path.js';

/**
 * Kinds of structural oddity. Archive-level anomalies (not about one member) carry `member: ''`.
 *
 * - `name-mismatch`: the local header's name differs from the central directory's, or the name
 *   contains a NUL (Python's zipfile truncates there), or an Info-ZIP Unicode Path extra field
 *   (0x7075, honoured by recent Python) names the member differently: readers see different names.
 * - `flag-bits`: general-purpose flag bits that some readers refuse and others ignore: bit 0
 *   (encrypted), 5 (compressed patched data), 6 (strong encryption), 13 (masked local header) and
 *   the reserved bits. Bulwark reads the member regardless, as PyTorch does.
 * - `duplicate-name`: two central-directory entries with the same name (Python uses the last,
 *   other readers the first).
 * - `path-traversal` / `absolute-path`: the name (central or local) escapes the extraction directory.
 * - `unsupported-method`: a compression method other than stored (0) or deflate (8); Bulwark cannot
 *   read the member.
 * - `local-header-mismatch`: the local header's method, flags, CRC or sizes differ from the
 *   central directory's (fields deferred to a data descriptor are not compared).
 * - `size-mismatch`: a stored member whose compressed and uncompressed sizes differ, or a member
 *   that inflates to a different size than declared (found by {@link openZipMember}).
 * - `crc-mismatch`: an inflated member's CRC-32 differs from the declared one (found by
 *   {@link openZipMember}; checked readers fail on it, unchecked ones load it).
 * - `overlapping-data`: a member's header and data overlap another member's or the central
 *   directory (overlapping-entry bombs, one set of bytes under two names).
 * - `prefix-data`: bytes before the first local header (self-extracting stubs, or a polyglot such
 *   as a pickle followed by a zip: content sniffing and zip readers see different files).
 * - `entry-count-mismatch`: the end-of-central-directory entry count differs from the entries
 *   actually in the central directory (miniz reads by count, Python by directory size).
 * - `bad-local-header`: a central entry whose local header is missing, has the wrong signature or
 *   runs past the end of the file; the member cannot be read.
 * - `symlink`: the external attributes give a Unix mode of S_IFLNK; extractors that recreate the
 *   link let later members write through it, outside the target directory.
 */
export type ZipAnomalyKind =
  | 'name-mismatch'
  | 'flag-bits'
  | 'duplicate-name'
  | 'path-traversal'
  | 'absolute-path'
  | 'unsupported-method'
  | 'local-header-mismatch'
  | 'size-mismatch'
  | 'crc-mismatch'
  | 'overlapping-data'
  | 'prefix-data'
  | 'entry-count-mismatch'
  | 'bad-local-header'
  | 'symlink';

/** One structural oddity, as data: the rules judge it. */
export interface ZipAnomaly {
  kind: ZipAnomalyKind;
  /** Central-directory name of the member, or '' for the archive as a whole. */
  member: string;
  /** Byte offset in the archive source where the oddity is (a header, usually). */
  offset?: number;
  /** What was found, in words. */
  detail: string;
}

/** One central-directory entry, with what its local header says. Offsets are absolute in the source. */
export interface ZipEntry {
  /** Name in the central directory (what PyTorch and Python's zipfile look members up by). */
  name: string;
  /** Name in the local header, when the local header could be read. */
  localName?: string;
  /** Compression method (0 stored, 8 deflate, ...). */
  method: number;
  /** General-purpose flags from the central directory. */
  flags: number;
  /** General-purpose flags from the local header, when it could be read. */
  localFlags?: number;
  /** Declared CRC-32 of the uncompressed data. */
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the central-directory header of this entry. */
  centralOffset: number;
  /** Offset of the local header (already shifted past any prefix the directory offsets are relative to). */
  localHeaderOffset: number;
  /** Offset of the member data: after the local header with the LOCAL name and extra lengths. */
  dataOffset: number;
  /** False when the local header is missing or broken; {@link openZipMember} then refuses the member. */
  localHeaderValid: boolean;
  /** The name ends with `/` (the rule Python's zipfile uses). */
  isDirectory: boolean;
}

/** The parsed central directory of an archive. */
export interface ZipDirectory {
  entries: ZipEntry[];
  anomalies: ZipAnomaly[];
  /** True when a ZIP64 end-of-central-directory record was used. */
  zip64: boolean;
  /** Offset of the central directory in the source. */
  centralDirectoryOffset: number;
  /**
   * Bytes the directory's offsets are shifted by: non-zero when data was prepended without
   * rewriting the offsets (self-extracting archives); Python's zipfile applies the same shift.
   */
  offsetShift: number;
  /** The archive comment (latin-1 decoded). */
  comment: string;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const EOCD64_SIZE = 56;
const LOCATOR_SIZE = 20;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
const EXTRA_ZIP64 = 0x0001;
const EXTRA_UNICODE_PATH = 0x7075;

const FLAG_ENCRYPTED = 1 << 0;
const FLAG_DATA_DESCRIPTOR = 1 << 3;
const FLAG_UTF8 = 1 << 11;
/** Bits 1-2 (deflate options), 3 (data descriptor), 4 (enhanced deflate) and 11 (UTF-8) are ordinary. */
const UNUSUAL_FLAGS = 0xffff & ~((1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 11));
const FLAG_NAMES: Readonly<Record<number, string>> = {
  0: 'encrypted',
  5: 'compressed patched data',
  6: 'strong encryption',
  13: 'masked local header',
};

const METHOD_NAMES: Readonly<Record<number, string>> = {
  0: 'stored',
  8: 'deflate',
  9: 'deflate64',
  12: 'bzip2',
  14: 'lzma',
  93: 'zstd',
  95: 'xz',
  98: 'ppmd',
  99: 'AES-encrypted',
};

/** Code page 437 for bytes 0x80-0xff: the spec's encoding of names without the UTF-8 flag. */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** True when `head` starts like a zip: a local file header, or the end record of an empty archive. */
export function sniffZip(head: Uint8Array): boolean {
  if (head.length < 4 || head[0] !== 0x50 || head[1] !== 0x4b) return false;
  return (head[2] === 0x03 && head[3] === 0x04) || (head[2] === 0x05 && head[3] === 0x06);
}

function parseError(src: ByteSource, message: string): BulwarkError<'PARSE_ERROR'> {
  return new BulwarkError('PARSE_ERROR', `${describeSource(src)}: ${message}`);
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(src: ByteSource, dv: DataView, at: number, what: string): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw parseError(src, `${what} ${v} is larger than any file Bulwark can read`);
  }
  return Number(v);
}

/** Decodes a name as the spec says: UTF-8 when flagged (or valid), code page 437 otherwise. */
function decodeName(bytes: Uint8Array, flags: number): string {
  if ((flags & FLAG_UTF8) !== 0 || bytes.every((b) => b < 0x80)) {
    return new TextDecoder('utf-8').decode(bytes);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    let s = '';
    for (const b of bytes) s += b < 0x80 ? String.fromCharCode(b) : (CP437_HIGH[b - 0x80] ?? '?');
    return s;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function hex(n: number, width: number): string {
  return `0x${n.toString(16).padStart(width, '0')}`;
}

function describeFlags(flags: number): string {
  const bits: string[] = [];
  for (let bit = 0; bit < 16; bit++) {
    if ((flags & (1 << bit)) !== 0) bits.push(`bit ${bit} (${FLAG_NAMES[bit] ?? 'reserved'})`);
  }
  return bits.join(', ');
}

/** Extra fields (APPNOTE 4.5) as id -> data; a truncated trailing field is dropped, as miniz does. */
function parseExtra(extra: Uint8Array): Map<number, Uint8Array> {
  const fields = new Map<number, Uint8Array>();
  const dv = view(extra);
  let pos = 0;
  while (pos + 4 <= extra.length) {
    const id = dv.getUint16(pos, true);
    const size = dv.getUint16(pos + 2, true);
    if (pos + 4 + size > extra.length) break;
    if (!fields.has(id)) fields.set(id, extra.subarray(pos + 4, pos + 4 + size));
    pos += 4 + size;
  }
  return fields;
}

/**
 * Reads `[offset, offset+length)` through a window cache, so that walking a central directory
 * (or closely packed local headers) costs one read per window, and a lying size field can never
 * make us allocate more than the window plus one record.
 */
function windowReader(src: ByteSource, windowSize: number): (offset: number, length: number) => Promise<Uint8Array> {
  let start = 0;
  let buf: Uint8Array = new Uint8Array(0);
  return async (offset, length) => {
    if (offset >= start && offset + length <= start + buf.length) {
      return buf.subarray(offset - start, offset - start + length);
    }
    buf = await src.read(offset, Math.max(length, windowSize));
    start = offset;
    return buf.subarray(0, Math.min(length, buf.length));
  };
}

interface EndRecord {
  eocdOffset: number;
  /** Where the central directory should end: the ZIP64 record, or the classic EOCD. */
  directoryEnd: number;
  totalEntries: number;
  cdSize: number;
  cdOffset: number;
  zip64: boolean;
  comment: string;
}

async function findEndRecord(src: ByteSource): Promise<EndRecord> {
  const tailLen = Math.min(src.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = src.size - tailLen;
  const tail = await src.read(tailStart, tailLen);
  const tv = view(tail);
  let at = -1;
  // The last signature wins: both miniz (PyTorch) and Python's zipfile search backwards.
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tv.getUint32(i, true) === SIG_EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    throw parseError(
      src,
      `not a zip archive: expected an end of central directory record (PK\\x05\\x06) in the last ${tailLen} bytes, found none`,
    );
  }
  const eocdOffset = tailStart + at;
  const commentLen = tv.getUint16(at + 20, true);
  const comment = new TextDecoder('latin1').decode(tail.subarray(at + EOCD_SIZE, at + EOCD_SIZE + commentLen));
  const classic = {
    eocdOffset,
    directoryEnd: eocdOffset,
    totalEntries: tv.getUint16(at + 10, true),
    cdSize: tv.getUint32(at + 12, true),
    cdOffset: tv.getUint32(at + 16, true),
    zip64: false,
    comment,
  };
  if (eocdOffset < LOCATOR_SIZE) return classic;
  const locator = await src.read(eocdOffset - LOCATOR_SIZE, LOCATOR_SIZE);
  const lv = view(locator);
  if (locator.length < LOCATOR_SIZE || lv.getUint32(0, true) !== SIG_EOCD64_LOCATOR) return classic;
  // miniz trusts the locator's offset; Python looks directly before the locator. Try both, in that order.
  const declared = u64(src, lv, 8, 'zip64 end of central directory offset');
  for (const candidate of [declared, eocdOffset - LOCATOR_SIZE - EOCD64_SIZE]) {
    if (candidate < 0 || candidate + EOCD64_SIZE > src.size) continue;
    const rec = await src.read(candidate, EOCD64_SIZE);
    const rv = view(rec);
    if (rec.length < EOCD64_SIZE || rv.getUint32(0, true) !== SIG_EOCD64) continue;
    return {
      eocdOffset,
      directoryEnd: candidate,
      totalEntries: u64(src, rv, 32, 'zip64 entry count'),
      cdSize: u64(src, rv, 40, 'zip64 central directory size'),
      cdOffset: u64(src, rv, 48, 'zip64 central directory offset'),
      zip64: true,
      comment,
    };
  }
  throw parseError(
    src,
    `zip64 end of central directory record (PK\\x06\\x06) expected at offset ${declared} (from the locator at ${eocdOffset - LOCATOR_SIZE}), not found`,
  );
}

async function signatureAt(src: ByteSource, offset: number, sig: number): Promise<boolean> {
  if (offset < 0 || offset + 4 > src.size) return false;
  const b = await src.read(offset, 4);
  return b.length === 4 && view(b).getUint32(0, true) === sig;
}

/** Central-directory fields of one entry, before its local header is read. */
interface CentralRecord {
  centralOffset: number;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  rawName: Uint8Array;
  name: string;
  extraLength: number;
  localHeaderOffset: number;
  unicodePath?: { name: string; crcMatches: boolean };
  /** Unix mode from the external attributes, when the archive was made on Unix (APPNOTE 4.4.2, 4.4.15). */
  unixMode?: number;
}

function readZip64Extra(
  src: ByteSource,
  fields: Map<number, Uint8Array>,
  want: { usize: boolean; csize: boolean; offset: boolean },
  where: string,
): { usize?: number; csize?: number; offset?: number } {
  const data = fields.get(EXTRA_ZIP64);
  const needed = (want.usize ? 8 : 0) + (want.csize ? 8 : 0) + (want.offset ? 8 : 0);
  if (needed === 0) return {};
  if (data === undefined || data.length < needed) {
    throw parseError(src, `${where}: sizes marked 0xffffffff but no zip64 extra field (0x0001) with ${needed} bytes follows`);
  }
  const dv = view(data);
  let pos = 0;
  const out: { usize?: number; csize?: number; offset?: number } = {};
  // APPNOTE 4.5.3: fields appear in this fixed order, only those whose 32-bit value is 0xffffffff.
  if (want.usize) {
    out.usize = u64(src, dv, pos, `${where}: zip64 uncompressed size`);
    pos += 8;
  }
  if (want.csize) {
    out.csize = u64(src, dv, pos, `${where}: zip64 compressed size`);
    pos += 8;
  }
  if (want.offset) out.offset = u64(src, dv, pos, `${where}: zip64 local header offset`);
  return out;
}

function parseCentral(src: ByteSource, rec: Uint8Array, centralOffset: number): CentralRecord {
  const dv = view(rec);
  const flags = dv.getUint16(8, true);
  const nameLen = dv.getUint16(28, true);
  const extraLen = dv.getUint16(30, true);
  const rawName = rec.subarray(CENTRAL_SIZE, CENTRAL_SIZE + nameLen);
  const name = decodeName(rawName, flags);
  const fields = parseExtra(rec.subarray(CENTRAL_SIZE + nameLen, CENTRAL_SIZE + nameLen + extraLen));
  const usize32 = dv.getUint32(24, true);
  const csize32 = dv.getUint32(20, true);
  const offset32 = dv.getUint32(42, true);
  const z = readZip64Extra(
    src,
    fields,
    { usize: usize32 === 0xffffffff, csize: csize32 === 0xffffffff, offset: offset32 === 0xffffffff },
    `central directory entry ${JSON.stringify(name)} at offset ${centralOffset}`,
  );
  const out: CentralRecord = {
    centralOffset,
    flags,
    method: dv.getUint16(10, true),
    crc32: dv.getUint32(16, true),
    compressedSize: z.csize ?? csize32,
    uncompressedSize: z.usize ?? usize32,
    rawName,
    name,
    extraLength: extraLen,
    localHeaderOffset: z.offset ?? offset32,
  };
  // "Version made by" upper byte 3 = Unix: the external attributes' high 16 bits are st_mode.
  if (dv.getUint8(5) === 3) out.unixMode = dv.getUint32(38, true) >>> 16;
  const up = fields.get(EXTRA_UNICODE_PATH);
  if (up !== undefined && up.length >= 5 && up[0] === 1) {
    out.unicodePath = {
      name: new TextDecoder('utf-8').decode(up.subarray(5)),
      crcMatches: view(up).getUint32(1, true) === crc32(rawName),
    };
  }
  return out;
}

/**
 * Reads the central directory of a zip archive and the local header of every entry.
 * Throws PARSE_ERROR when `src` is not a zip or its directory is broken, LIMIT_EXCEEDED when it
 * has more than `limits.maxArchiveEntries` entries. Oddities that loaders tolerate are returned as
 * {@link ZipDirectory.anomalies}, never thrown.
 */
export async function readZipDirectory(src: ByteSource, limits: Limits): Promise<ZipDirectory> {
  const end = await findEndRecord(src);
  if (end.totalEntries > limits.maxArchiveEntries) {
    throw new BulwarkError(
      'LIMIT_EXCEEDED',
      `${describeSource(src)}: zip archive declares ${end.totalEntries} entries, more than maxArchiveEntries=${limits.maxArchiveEntries}`,
    );
  }
  if (end.cdSize > end.directoryEnd) {
    throw parseError(
      src,
      `central directory of ${end.cdSize} bytes (declared by the end record at ${end.eocdOffset}) does not fit before offset ${end.directoryEnd}`,
    );
  }
  // APPNOTE 4.3.16 offsets are from the start of the archive; when bytes were prepended without
  // rewriting them, the directory sits `shift` bytes later than declared (Python applies the same).
  let shift = 0;
  const fits = end.cdOffset + end.cdSize <= end.directoryEnd;
  if (!fits || (end.cdSize > 0 && !(await signatureAt(src, end.cdOffset, SIG_CENTRAL)))) {
    const candidate = end.directoryEnd - end.cdSize - end.cdOffset;
    if (candidate > 0 && (end.cdSize === 0 || (await signatureAt(src, end.cdOffset + candidate, SIG_CENTRAL)))) {
      shift = candidate;
    } else {
      throw parseError(
        src,
        `expected a central directory (PK\\x01\\x02) of ${end.cdSize} bytes at offset ${end.cdOffset} ` +
          `(declared by the end record at ${end.eocdOffset}), found none`,
      );
    }
  }
  const cdStart = end.cdOffset + shift;
  const cdEnd = cdStart + end.cdSize;

  const anomalies: ZipAnomaly[] = [];
  const records: CentralRecord[] = [];
  const readCentral = windowReader(src, 1 << 20);
  let pos = cdStart;
  while (pos < cdEnd) {
    const fixed = await readCentral(pos, CENTRAL_SIZE);
    const fv = view(fixed);
    if (fixed.length < CENTRAL_SIZE || fv.getUint32(0, true) !== SIG_CENTRAL) {
      if (records.length >= end.totalEntries) {
        anomalies.push({
          kind: 'entry-count-mismatch',
          member: '',
          offset: pos,
          detail: `${cdEnd - pos} bytes after the last of the ${records.length} central directory entries are not an entry`,
        });
        break;
      }
      throw parseError(
        src,
        `central directory entry ${records.length} expected at offset ${pos} (signature PK\\x01\\x02), found ${fixed.length < 4 ? 'end of file' : hex(fv.getUint32(0, true), 8)}`,
      );
    }
    if (records.length >= limits.maxArchiveEntries) {
      throw new BulwarkError(
        'LIMIT_EXCEEDED',
        `${describeSource(src)}: zip archive has more than ${records.length} entries (maxArchiveEntries=${limits.maxArchiveEntries})`,
      );
    }
    const recLen = CENTRAL_SIZE + fv.getUint16(28, true) + fv.getUint16(30, true) + fv.getUint16(32, true);
    const rec = await readCentral(pos, recLen);
    if (rec.length < recLen) {
      throw parseError(src, `central directory entry at offset ${pos} is ${recLen} bytes but the file ends first`);
    }
    const record = parseCentral(src, rec, pos);
    record.localHeaderOffset += shift;
    records.push(record);
    pos += recLen;
  }
  if (records.length !== end.totalEntries) {
    anomalies.push({
      kind: 'entry-count-mismatch',
      member: '',
      offset: end.eocdOffset,
      detail: `the end record declares ${end.totalEntries} entries but the central directory holds ${records.length}`,
    });
  }

  const entries: ZipEntry[] = [];
  // Small window: enough to cover closely packed small members in one read, while a directory of
  // many large members costs one small read per entry rather than a big one.
  const readLocal = windowReader(src, 4096);
  const firstIndex = new Map<string, number>();
  for (const [index, record] of records.entries()) {
    const entry = await readEntry(src, record, readLocal, anomalies);
    entries.push(entry);
    const first = firstIndex.get(entry.name);
    if (first === undefined) {
      firstIndex.set(entry.name, index);
    } else {
      anomalies.push({
        kind: 'duplicate-name',
        member: entry.name,
        offset: entry.centralOffset,
        detail: `name also used by central directory entry ${first} (offset ${entries[first]?.centralOffset ?? 0}); Python's zipfile reads the last, miniz-based readers may read the first`,
      });
    }
  }
  findOverlaps(entries, cdStart, anomalies);
  const firstHeader = entries.reduce<ZipEntry | undefined>(
    (min, e) => (min === undefined || e.localHeaderOffset < min.localHeaderOffset ? e : min),
    undefined,
  );
  const firstOffset = firstHeader?.localHeaderOffset ?? cdStart;
  if (firstOffset > 0) {
    anomalies.push({
      kind: 'prefix-data',
      member: '',
      offset: 0,
      detail:
        `${firstOffset} bytes precede the first ${firstHeader === undefined ? 'central directory' : 'local header'}` +
        (shift > 0 ? ` (the directory's offsets ignore them: shifted by ${shift}, as Python's zipfile does)` : ''),
    });
  }
  return { entries, anomalies, zip64: end.zip64, centralDirectoryOffset: cdStart, offsetShift: shift, comment: end.comment };
}

async function readEntry(
  src: ByteSource,
  record: CentralRecord,
  readLocal: (offset: number, length: number) => Promise<Uint8Array>,
  anomalies: ZipAnomaly[],
): Promise<ZipEntry> {
  const { name } = record;
  const entry: ZipEntry = {
    name,
    method: record.method,
    flags: record.flags,
    crc32: record.crc32,
    compressedSize: record.compressedSize,
    uncompressedSize: record.uncompressedSize,
    centralOffset: record.centralOffset,
    localHeaderOffset: record.localHeaderOffset,
    dataOffset: record.localHeaderOffset + LOCAL_SIZE + record.rawName.length + record.extraLength,
    localHeaderValid: false,
    isDirectory: name.endsWith('/'),
  };
  const note = (kind: ZipAnomalyKind, detail: string, offset = record.centralOffset): void => {
    anomalies.push({ kind, member: name, offset, detail });
  };
  for (const issue of checkMemberPath(name)) note(issue.kind, issue.detail);
  // S_IFLNK: unzip and Python's shutil.unpack_archive recreate it as a link, and later members
  // written through that link land wherever it points (a zip symlink attack).
  if (record.unixMode !== undefined && (record.unixMode & 0o170000) === 0o120000) {
    note('symlink', 'member is a symbolic link; extractors that recreate it let later members write through it, outside the target directory');
  }
  const nul = name.indexOf('\0');
  if (nul >= 0) {
    note('name-mismatch', `name contains a NUL byte; Python's zipfile truncates it to ${JSON.stringify(name.slice(0, nul))}`);
  }
  if (record.unicodePath !== undefined && record.unicodePath.name !== name) {
    note(
      'name-mismatch',
      `Info-ZIP Unicode Path extra field names the member ${JSON.stringify(record.unicodePath.name)}` +
        (record.unicodePath.crcMatches ? ' (readers that honour it, such as recent Python, use that name)' : ' (its CRC does not match the name)'),
    );
  }
  if (record.method !== 0 && record.method !== 8) {
    note('unsupported-method', `compression method ${record.method} (${METHOD_NAMES[record.method] ?? 'unknown'}) cannot be read by Bulwark`);
  } else if (record.method === 0 && record.compressedSize !== record.uncompressedSize) {
    note('size-mismatch', `stored member declares ${record.compressedSize} bytes stored but ${record.uncompressedSize} uncompressed`);
  }

  const lho = record.localHeaderOffset;
  const head = lho + LOCAL_SIZE <= src.size ? await readLocal(lho, LOCAL_SIZE) : new Uint8Array(0);
  const hv = view(head);
  if (head.length < LOCAL_SIZE || hv.getUint32(0, true) !== SIG_LOCAL) {
    note(
      'bad-local-header',
      `expected a local header (PK\\x03\\x04) at offset ${lho}, found ${head.length < 4 ? 'end of file' : hex(hv.getUint32(0, true), 8)}`,
      lho,
    );
    reportFlags(record.flags, undefined, note);
    return entry;
  }
  const localFlags = hv.getUint16(6, true);
  const localMethod = hv.getUint16(8, true);
  const nameLen = hv.getUint16(26, true);
  const extraLen = hv.getUint16(28, true);
  const varPart = await readLocal(lho + LOCAL_SIZE, nameLen + extraLen);
  const dataOffset = lho + LOCAL_SIZE + nameLen + extraLen;
  if (varPart.length < nameLen + extraLen || dataOffset > src.size) {
    note('bad-local-header', `local header at offset ${lho} runs past the end of the file`, lho);
    reportFlags(record.flags, localFlags, note);
    return entry;
  }
  const rawLocalName = varPart.subarray(0, nameLen);
  entry.localName = decodeName(rawLocalName, localFlags);
  entry.localFlags = localFlags;
  entry.dataOffset = dataOffset;
  entry.localHeaderValid = true;

  if (!sameBytes(rawLocalName, record.rawName)) {
    note('name-mismatch', `local header at offset ${lho} names the member ${JSON.stringify(entry.localName)}`, lho);
    for (const issue of checkMemberPath(entry.localName)) note(issue.kind, `local header: ${issue.detail}`, lho);
  }
  reportFlags(record.flags, localFlags, note);

  const diffs: string[] = [];
  if (localMethod !== record.method) diffs.push(`method ${localMethod} (central ${record.method})`);
  if (localFlags !== record.flags) diffs.push(`flags ${hex(localFlags, 4)} (central ${hex(record.flags, 4)})`);
  // With a data descriptor (bit 3) the local CRC and sizes are written after the data instead.
  if ((localFlags & FLAG_DATA_DESCRIPTOR) === 0) {
    const localCrc = hv.getUint32(14, true);
    const c32 = hv.getUint32(18, true);
    const u32 = hv.getUint32(22, true);
    let csize = c32;
    let usize = u32;
    if (c32 === 0xffffffff || u32 === 0xffffffff) {
      // APPNOTE 4.5.3: the local zip64 field holds both sizes whenever it is present.
      const data = parseExtra(varPart.subarray(nameLen)).get(EXTRA_ZIP64);
      if (data !== undefined && data.length >= 16) {
        const dv = view(data);
        usize = u64(src, dv, 0, `local header at ${lho}: zip64 uncompressed size`);
        csize = u64(src, dv, 8, `local header at ${lho}: zip64 compressed size`);
      }
    }
    if (localCrc !== record.crc32) diffs.push(`CRC ${hex(localCrc, 8)} (central ${hex(record.crc32, 8)})`);
    if (csize !== record.compressedSize) diffs.push(`compressed size ${csize} (central ${record.compressedSize})`);
    if (usize !== record.uncompressedSize) diffs.push(`uncompressed size ${usize} (central ${record.uncompressedSize})`);
  }
  if (diffs.length > 0) note('local-header-mismatch', `local header at offset ${lho} differs: ${diffs.join(', ')}`, lho);
  return entry;
}

function reportFlags(central: number, local: number | undefined, note: (kind: ZipAnomalyKind, detail: string) => void): void {
  const unusual = (central | (local ?? 0)) & UNUSUAL_FLAGS;
  if (unusual === 0) return;
  const encrypted = (unusual & FLAG_ENCRYPTED) !== 0 ? '; Bulwark reads the member anyway, as PyTorch does' : '';
  const where = local === undefined ? `central ${hex(central, 4)}` : `central ${hex(central, 4)}, local ${hex(local, 4)}`;
  note('flag-bits', `general-purpose flags ${where} set ${describeFlags(unusual)}${encrypted}`);
}

function findOverlaps(entries: ZipEntry[], cdStart: number, anomalies: ZipAnomaly[]): void {
  const spans = entries
    .filter((e) => e.localHeaderValid)
    .map((e) => ({ entry: e, start: e.localHeaderOffset, end: e.dataOffset + e.compressedSize }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  let reach: (typeof spans)[number] | undefined;
  for (const span of spans) {
    if (reach !== undefined && span.start < reach.end) {
      anomalies.push({
        kind: 'overlapping-data',
        member: span.entry.name,
        offset: span.start,
        detail: `header and data [${span.start}, ${span.end}) overlap member ${JSON.stringify(reach.entry.name)} [${reach.start}, ${reach.end})`,
      });
    }
    if (span.start < cdStart && span.end > cdStart) {
      anomalies.push({
        kind: 'overlapping-data',
        member: span.entry.name,
        offset: span.start,
        detail: `data [${span.start}, ${span.end}) runs into the central directory at offset ${cdStart}`,
      });
    }
    if (reach === undefined || span.end > reach.end) reach = span;
  }
}

/** Options of {@link openZipMember}. */
export interface OpenZipMemberOptions extends InflateOptions {
  /**
   * When given, oddities found while reading the data (an inflated size or CRC-32 other than
   * declared) are appended here; they cannot be known from the directory alone.
   */
  anomalies?: ZipAnomaly[];
}

/**
 * Opens one member as its own ByteSource (`member` = the archive's member chain + `entry.name`).
 * Stored members are a zero-copy window of `src` (a 2 GB stored tensor is never read); deflated
 * members are inflated into memory under the member, budget and ratio limits. The encryption flag
 * is ignored on purpose: PyTorch ignores it, so an attacker sets it to make Python-based scanners
 * skip a member that still loads; the flag is reported as an anomaly by {@link readZipDirectory}.
 * Throws UNSUPPORTED for other compression methods, LIMIT_EXCEEDED for bombs, PARSE_ERROR for a
 * broken local header, truncated data or a corrupt deflate stream.
 */
export async function openZipMember(src: ByteSource, entry: ZipEntry, opts: OpenZipMemberOptions): Promise<ByteSource> {
  const member = childMember(src, entry.name);
  const where = `${src.uri}!${member}`;
  if (!entry.localHeaderValid) {
    throw new BulwarkError(
      'PARSE_ERROR',
      `${where}: expected a valid local header (PK\\x03\\x04) at offset ${entry.localHeaderOffset}, the member cannot be located`,
    );
  }
  const dataEnd = entry.dataOffset + entry.compressedSize;
  if (dataEnd > src.size) {
    throw new BulwarkError(
      'PARSE_ERROR',
      `${where}: expected ${entry.compressedSize} bytes of member data at offset ${entry.dataOffset}, the file ends at ${src.size}`,
    );
  }
  if (entry.method === 0) return sliceSource(src, entry.dataOffset, entry.compressedSize, member);
  if (entry.method !== 8) {
    throw new BulwarkError(
      'UNSUPPORTED',
      `${where}: compression method ${entry.method} (${METHOD_NAMES[entry.method] ?? 'unknown'}) is not supported; only stored and deflate members are read`,
    );
  }
  if (entry.uncompressedSize > opts.limits.maxMemberBytes) {
    throw new BulwarkError(
      'LIMIT_EXCEEDED',
      `${where}: member declares ${entry.uncompressedSize} uncompressed bytes, more than maxMemberBytes=${opts.limits.maxMemberBytes}`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await inflateBounded(
      { where, offset: entry.dataOffset, size: entry.compressedSize, load: () => src.read(entry.dataOffset, entry.compressedSize) },
      'deflate-raw',
      opts,
    );
  } catch (err) {
    // Really encrypted data does not inflate; say so, since the flag alone did not stop us.
    if (isBulwarkError(err, 'PARSE_ERROR') && ((entry.flags | (entry.localFlags ?? 0)) & FLAG_ENCRYPTED) !== 0) {
      throw new BulwarkError('PARSE_ERROR', `${err.message}; the member is flagged as encrypted`, { cause: err });
    }
    throw err;
  }
  if (opts.anomalies !== undefined) {
    if (bytes.length !== entry.uncompressedSize) {
      opts.anomalies.push({
        kind: 'size-mismatch',
        member: entry.name,
        offset: entry.dataOffset,
        detail: `inflates to ${bytes.length} bytes but declares ${entry.uncompressedSize}`,
      });
    }
    const actual = crc32(bytes);
    if (actual !== entry.crc32) {
      opts.anomalies.push({
        kind: 'crc-mismatch',
        member: entry.name,
        offset: entry.dataOffset,
        detail: `inflated data has CRC-32 ${hex(actual, 8)} but declares ${hex(entry.crc32, 8)}`,
      });
    }
  }
  return bufferSource(bytes, src.uri, member);
}
