import { crc32, deflateRawSync } from 'node:zlib';

/** One member for the test writer; every field but name/data forges something. */
export interface TestMember {
  name: string;
  data: Uint8Array | string;
  method?: number;
  flags?: number;
  localFlags?: number;
  localName?: string;
  crc?: number;
  localCrc?: number;
  uncompressedSize?: number;
  dataDescriptor?: boolean;
  centralExtra?: Uint8Array;
  /** Point the central entry at the local header of member `reuse` instead of writing one. */
  reuse?: number;
  /** Skip writing a local header (and data) for this member. */
  noLocal?: boolean;
  /** Write "made by Unix" with this st_mode in the external attributes (0o120777 = a symlink). */
  unixMode?: number;
}

export interface TestZipOptions {
  prefix?: Uint8Array;
  /** Offsets relative to the end of `prefix` (as `cat stub archive.zip` produces). */
  relativeOffsets?: boolean;
  zip64?: boolean;
  declaredCount?: number;
  comment?: string;
}

/** UTF-8 encoder shared by the writers. */
export const enc = new TextEncoder();
const bytes = (s: Uint8Array | string): Uint8Array => (typeof s === 'string' ? enc.encode(s) : s);

/** Little-endian u16 bytes. */
export function u16(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff];
}
/** Little-endian u32 bytes. */
export function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}
function u64(n: number): number[] {
  return [...u32(n % 2 ** 32), ...u32(Math.floor(n / 2 ** 32))];
}

/** A tiny zip writer that can forge every field the reader cross-checks. */
export function buildZip(members: TestMember[], opts: TestZipOptions = {}): Uint8Array {
  const out: number[] = [...(opts.prefix ?? [])];
  const base = opts.relativeOffsets === true ? out.length : 0;
  const central: number[] = [];
  const offsets: number[] = [];
  for (const m of members) {
    const raw = bytes(m.data);
    const method = m.method ?? 0;
    const stored = method === 8 ? deflateRawSync(raw) : raw;
    const crc = m.crc ?? crc32(raw);
    const flags = (m.flags ?? 0) | (m.dataDescriptor === true ? 8 : 0);
    const name = enc.encode(m.name);
    const usize = m.uncompressedSize ?? raw.length;
    let offset: number;
    if (m.reuse !== undefined) {
      offset = offsets[m.reuse] ?? 0;
    } else if (m.noLocal === true) {
      offset = out.length - base + 1000;
    } else {
      offset = out.length - base;
      const localName = enc.encode(m.localName ?? m.name);
      const dd = m.dataDescriptor === true;
      out.push(...u32(0x04034b50), ...u16(20), ...u16(m.localFlags ?? flags), ...u16(method), ...u16(0), ...u16(0));
      out.push(...u32(dd ? 0 : (m.localCrc ?? crc)), ...u32(dd ? 0 : stored.length), ...u32(dd ? 0 : usize));
      out.push(...u16(localName.length), ...u16(0), ...localName);
      for (const b of stored) out.push(b);
      if (dd) out.push(...u32(0x08074b50), ...u32(crc), ...u32(stored.length), ...u32(usize));
    }
    offsets.push(offset);
    const z64 = opts.zip64 === true;
    const extra = z64 ? [...u16(1), ...u16(24), ...u64(usize), ...u64(stored.length), ...u64(offset)] : [...(m.centralExtra ?? [])];
    const madeBy = m.unixMode === undefined ? 45 : (3 << 8) | 45;
    central.push(...u32(0x02014b50), ...u16(madeBy), ...u16(45), ...u16(flags), ...u16(method), ...u16(0), ...u16(0));
    central.push(...u32(crc), ...u32(z64 ? 0xffffffff : stored.length), ...u32(z64 ? 0xffffffff : usize));
    central.push(...u16(name.length), ...u16(extra.length), ...u16(0), ...u16(0), ...u16(0), ...u32(((m.unixMode ?? 0) << 16) >>> 0));
    central.push(...u32(z64 ? 0xffffffff : offset), ...name, ...extra);
  }
  const cdOffset = out.length - base;
  out.push(...central);
  const count = opts.declaredCount ?? members.length;
  if (opts.zip64 === true) {
    const eocd64 = out.length - base;
    out.push(...u32(0x06064b50), ...u64(44), ...u16(45), ...u16(45), ...u32(0), ...u32(0));
    out.push(...u64(count), ...u64(count), ...u64(central.length), ...u64(cdOffset));
    out.push(...u32(0x07064b50), ...u32(0), ...u64(eocd64), ...u32(1));
  }
  const comment = enc.encode(opts.comment ?? '');
  const big = opts.zip64 === true;
  out.push(...u32(0x06054b50), ...u16(0), ...u16(0), ...u16(big ? 0xffff : count), ...u16(big ? 0xffff : count));
  out.push(...u32(big ? 0xffffffff : central.length), ...u32(big ? 0xffffffff : cdOffset), ...u16(comment.length), ...comment);
  return Uint8Array.from(out);
}

