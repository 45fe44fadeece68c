/**
 * A tar reader (POSIX.1-1988 ustar, POSIX.1-2001 pax, GNU and old v7 archives) that lists members
 * and hands them out as zero-copy windows of the archive. It skips member data the way Python's
 * tarfile does (regular and unknown types carry data; links, directories and devices do not), so
 * it sees the same members as the loaders built on it (PyTorch's legacy tar format, `tarfile`).
 */
import { BulwarkError } from '../errors.js';
import { childMember, describeSource, sliceSource, type ByteSource } from './byte-source.js';
import type { Limits } from './limits.js';
import { checkMemberPath } from './member-path.js';

/** What a member is. Character and block devices, FIFOs, sparse files and volume labels are `other`. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** One member, after GNU long-name and pax headers have been applied. */
export interface TarEntry {
  /** Path of the member (pax `path`, else GNU long name, else ustar prefix + name). */
  name: string;
  type: TarEntryType;
  /** The raw type flag (`'0'`, `'5'`, `'S'`, ...; `'\0'` for old regular files). */
  typeFlag: string;
  /** Target of a symlink or hardlink. */
  linkName?: string;
  /** Bytes of data stored in the archive for this member (0 for links and directories). */
  size: number;
  /** Offset of the member's data. */
  dataOffset: number;
  /** Offset of the member's own header block (after any long-name or pax headers). */
  headerOffset: number;
}

const BLOCK = 512;
/** GNU long names and pax headers are metadata; anything beyond this is not a real archive. */
export const MAX_TAR_META_BYTES = 1024 * 1024;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

function parseError(src: ByteSource, offset: number, message: string): BulwarkError<'PARSE_ERROR'> {
  return new BulwarkError('PARSE_ERROR', `${describeSource(src)}: tar header at offset ${offset}: ${message}`);
}

function cString(field: Uint8Array): string {
  const nul = field.indexOf(0);
  return utf8.decode(nul < 0 ? field : field.subarray(0, nul));
}

/**
 * A numeric field: octal digits padded with spaces or NULs, or (GNU) base-256 big-endian when the
 * first byte has its top bit set. Returns undefined when the field is neither.
 */
function numeric(field: Uint8Array): number | undefined {
  const first = field[0] ?? 0;
  if ((first & 0x80) !== 0) {
    if (first === 0xff) return undefined;
    let v = first & 0x7f;
    for (const b of field.subarray(1)) v = v * 256 + b;
    return Number.isSafeInteger(v) ? v : undefined;
  }
  const text = latin1.decode(field).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  const v = parseInt(text, 8);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** Header checksum (POSIX: the sum of all bytes with the checksum field read as spaces), unsigned and signed. */
function checksums(header: Uint8Array): [number, number] {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
    unsigned += b;
    signed += b >= 0x80 ? b - 256 : b;
  }
  return [unsigned, signed];
}

function checksumOk(header: Uint8Array): boolean {
  const stored = numeric(header.subarray(148, 156));
  if (stored === undefined) return false;
  const [unsigned, signed] = checksums(header);
  // Some old tars summed signed chars; Python's tarfile accepts either.
  return stored === unsigned || stored === signed;
}

function isZeroBlock(block: Uint8Array): boolean {
  return block.every((b) => b === 0);
}

/**
 * True when `head` starts with a tar header: the `ustar` magic at offset 257, or (old v7 tars have
 * no magic) a full first block whose checksum is valid.
 */
export function sniffTar(head: Uint8Array): boolean {
  if (head.length >= 262 && latin1.decode(head.subarray(257, 262)) === 'ustar') return true;
  return head.length >= BLOCK && !isZeroBlock(head.subarray(0, BLOCK)) && checksumOk(head.subarray(0, BLOCK));
}

/** pax extended header records (POSIX.1-2001 `%d %s=%s\n`, the length counting the whole record). */
function parsePax(src: ByteSource, offset: number, data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break;
    const space = data.indexOf(0x20, pos);
    const len = space < 0 ? NaN : Number(latin1.decode(data.subarray(pos, space)));
    if (!Number.isSafeInteger(len) || len <= space - pos + 1 || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw parseError(src, offset, `malformed pax record at byte ${pos} of the extended header (expected "<length> <key>=<value>\\n")`);
    }
    const record = utf8.decode(data.subarray(space + 1, pos + len - 1));
    const eq = record.indexOf('=');
    if (eq <= 0) throw parseError(src, offset, `pax record at byte ${pos} has no key=value`);
    out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

function entryType(flag: string, name: string): TarEntryType {
  switch (flag) {
    case '0':
    case '7':
      return 'file';
    case '\0':
      // v7 archives mark directories only by the trailing slash (Python's tarfile does the same).
      return name.endsWith('/') ? 'directory' : 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '5':
      return 'directory';
    default:
      return 'other';
  }
}

/** Types whose size field is not followed by data (Python's tarfile skips data only for the rest). */
const NO_DATA_FLAGS = new Set(['1', '2', '3', '4', '5', '6']);

/**
 * Lists the members of a tar archive. Throws PARSE_ERROR for a bad checksum, a malformed numeric
 * field or pax record, or a member that runs past the end of the file; LIMIT_EXCEEDED past
 * `limits.maxArchiveEntries` headers or for metadata larger than {@link MAX_TAR_META_BYTES}.
 * Reading stops at the first all-zero block, as tar and Python's tarfile do.
 */
export async function readTarEntries(src: ByteSource, limits: Limits): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const globalPax = new Map<string, string>();
  let pax: Map<string, string> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let headers = 0;
  let pos = 0;
  while (pos < src.size) {
    const header = await src.read(pos, BLOCK);
    if (header.length < BLOCK) {
      if (isZeroBlock(header)) break;
      throw parseError(src, pos, `expected a 512-byte header, the file ends after ${header.length} bytes`);
    }
    if (isZeroBlock(header)) break;
    if (!checksumOk(header)) {
      const [unsigned] = checksums(header);
      throw parseError(
        src,
        pos,
        `checksum field ${JSON.stringify(latin1.decode(header.subarray(148, 156)))} does not match the computed ${unsigned.toString(8)} (expected a valid tar header)`,
      );
    }
    headers += 1;
    if (headers > limits.maxArchiveEntries) {
      throw new BulwarkError(
        'LIMIT_EXCEEDED',
        `${describeSource(src)}: tar archive has more than ${limits.maxArchiveEntries} headers (maxArchiveEntries=${limits.maxArchiveEntries})`,
      );
    }
    const flag = String.fromCharCode(header[156] ?? 0);
    const declared = numeric(header.subarray(124, 136));
    if (declared === undefined) {
      throw parseError(src, pos, `size field ${JSON.stringify(latin1.decode(header.subarray(124, 136)))} is not an octal or base-256 number`);
    }
    const dataOffset = pos + BLOCK;

    if (flag === 'L' || flag === 'K' || flag === 'x' || flag === 'g') {
      if (declared > MAX_TAR_META_BYTES) {
        throw new BulwarkError(
          'LIMIT_EXCEEDED',
          `${describeSource(src)}: tar ${flag === 'x' || flag === 'g' ? 'pax' : 'GNU long-name'} header at offset ${pos} is ${declared} bytes, more than ${MAX_TAR_META_BYTES}`,
        );
      }
      const data = await src.read(dataOffset, declared);
      if (data.length < declared) throw parseError(src, pos, `expected ${declared} bytes of header data, the file ends first`);
      if (flag === 'L') longName = cString(data);
      else if (flag === 'K') longLink = cString(data);
      else if (flag === 'x') pax = parsePax(src, pos, data);
      else for (const [k, v] of parsePax(src, pos, data)) globalPax.set(k, v);
      pos = dataOffset + Math.ceil(declared / BLOCK) * BLOCK;
      continue;
    }

    const ext = new Map([...globalPax, ...(pax ?? [])]);
    const ustar = latin1.decode(header.subarray(257, 263)) === 'ustar\0';
    const prefix = ustar ? cString(header.subarray(345, 500)) : '';
    const shortName = cString(header.subarray(0, 100));
    const name = ext.get('path') ?? longName ?? (prefix === '' ? shortName : `${prefix}/${shortName}`);
    const link = ext.get('linkpath') ?? longLink ?? cString(header.subarray(157, 257));
    let size = declared;
    const paxSize = ext.get('size');
    if (paxSize !== undefined) {
      if (!/^\d+$/.test(paxSize) || !Number.isSafeInteger(Number(paxSize))) {
        throw parseError(src, pos, `pax size ${JSON.stringify(paxSize)} is not a decimal number`);
      }
      size = Number(paxSize);
    }
    if (NO_DATA_FLAGS.has(flag)) size = 0;
    if (dataOffset + size > src.size) {
      throw parseError(src, pos, `member ${JSON.stringify(name)} expects ${size} bytes of data at offset ${dataOffset}, the file ends at ${src.size}`);
    }
    const type = entryType(flag, name);
    const entry: TarEntry = { name, type, typeFlag: flag, size, dataOffset, headerOffset: pos };
    if (type === 'symlink' || type === 'hardlink') entry.linkName = link;
    entries.push(entry);
    pax = undefined;
    longName = undefined;
    longLink = undefined;
    pos = dataOffset + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}

/** One member as a zero-copy window of the archive; its `member` extends the archive's chain. */
export function openTarMember(src: ByteSource, entry: TarEntry): ByteSource {
  return sliceSource(src, entry.dataOffset, entry.size, childMember(src, entry.name));
}

/**
 * Kinds of tar oddity (archive rules judge them):
 * - `path-traversal` / `absolute-path`: the member path escapes the extraction directory.
 * - `duplicate-name`: two members with one path (extraction and `getmember` keep the last).
 * - `link-escape`: a symlink or hardlink whose target is absolute or climbs with `..`, so a later
 *   member written through it lands outside the extraction directory (CVE-2007-4559 family).
 * - `special-file`: a device node or FIFO, which nothing in a model archive needs.
 */
export type TarAnomalyKind = 'path-traversal' | 'absolute-path' | 'duplicate-name' | 'link-escape' | 'special-file';

/** One tar oddity, as data. */
export interface TarAnomaly {
  kind: TarAnomalyKind;
  member: string;
  offset: number;
  detail: string;
}

/** The structural oddities of a listed tar archive. */
export function findTarAnomalies(entries: readonly TarEntry[]): TarAnomaly[] {
  const anomalies: TarAnomaly[] = [];
  const seen = new Map<string, TarEntry>();
  for (const e of entries) {
    const note = (kind: TarAnomalyKind, detail: string): void => {
      anomalies.push({ kind, member: e.name, offset: e.headerOffset, detail });
    };
    for (const issue of checkMemberPath(e.name)) note(issue.kind, issue.detail);
    const first = seen.get(e.name);
    if (first === undefined) seen.set(e.name, e);
    else note('duplicate-name', `path also used by the member at offset ${first.headerOffset}; extraction keeps the last`);
    if (e.linkName !== undefined) {
      for (const issue of checkMemberPath(e.linkName)) note('link-escape', `${e.type} target: ${issue.detail}`);
    }
    if (e.typeFlag === '3' || e.typeFlag === '4' || e.typeFlag === '6') {
      note('special-file', `member is a ${e.typeFlag === '6' ? 'FIFO' : 'device node'} (type ${e.typeFlag})`);
    }
  }
  return anomalies;
}
