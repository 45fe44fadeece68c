import { describe, expect, it } from 'vitest';

import { expectError } from '../../test/expect-error.js';
import { bufferSource, type ByteSource } from './byte-source.js';
import { DEFAULT_LIMITS } from './limits.js';
import { findTarAnomalies, openTarMember, readTarEntries, sniffTar, type TarEntry } from './tar.js';

const enc = new TextEncoder();

interface HeaderSpec {
  name: string;
  type?: string;
  size?: number;
  linkName?: string;
  format?: 'ustar' | 'gnu' | 'v7';
  prefix?: string;
  base256Size?: boolean;
  corruptChecksum?: boolean;
}

function put(block: Uint8Array, at: number, text: string): void {
  block.set(enc.encode(text), at);
}

/** A tiny tar writer: one 512-byte header per spec, checksum computed the POSIX way. */
function header(spec: HeaderSpec): Uint8Array {
  const b = new Uint8Array(512);
  put(b, 0, spec.name);
  put(b, 100, '0000644\0');
  put(b, 108, '0000000\0');
  put(b, 116, '0000000\0');
  const size = spec.size ?? 0;
  if (spec.base256Size === true) {
    b[124] = 0x80;
    let v = size;
    for (let i = 135; i > 124; i--) {
      b[i] = v % 256;
      v = Math.floor(v / 256);
    }
  } else {
    put(b, 124, `${size.toString(8).padStart(11, '0')}\0`);
  }
  put(b, 136, '00000000000\0');
  b[156] = (spec.type ?? '0').charCodeAt(0);
  put(b, 157, spec.linkName ?? '');
  const format = spec.format ?? 'ustar';
  if (format === 'ustar') put(b, 257, 'ustar\x0000');
  if (format === 'gnu') put(b, 257, 'ustar  \0');
  if (spec.prefix !== undefined) put(b, 345, spec.prefix);
  b.fill(0x20, 148, 156);
  const sum = b.reduce((s, x) => s + x, 0) + (spec.corruptChecksum === true ? 1 : 0);
  put(b, 148, `${sum.toString(8).padStart(6, '0')}\0 `);
  return b;
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
  out.set(data);
  return out;
}

interface TarMember extends HeaderSpec {
  data?: string | Uint8Array;
}

function buildTar(members: TarMember[], opts: { end?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const m of members) {
    const data = typeof m.data === 'string' ? enc.encode(m.data) : (m.data ?? new Uint8Array(0));
    parts.push(header({ ...m, size: m.size ?? data.length }), padded(data));
  }
  if (opts.end !== false) parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  // The length counts bytes, including its own digits.
  let len = enc.encode(body).length + 1;
  while (enc.encode(`${len}${body}`).length !== len) len += 1;
  return `${len}${body}`;
}

async function list(tar: Uint8Array): Promise<TarEntry[]> {
  return readTarEntries(bufferSource(tar, 'legacy.tar'), DEFAULT_LIMITS);
}

async function content(src: ByteSource, entry: TarEntry | undefined): Promise<string> {
  if (entry === undefined) throw new Error('missing entry');
  const m = openTarMember(src, entry);
  return new TextDecoder().decode(await m.read(0, m.size));
}

describe('sniffTar', () => {
  it('recognises ustar, GNU and v7 headers', () => {
    expect(sniffTar(buildTar([{ name: 'a', data: 'x' }]))).toBe(true);
    expect(sniffTar(buildTar([{ name: 'a', data: 'x', format: 'gnu' }]))).toBe(true);
    expect(sniffTar(buildTar([{ name: 'a', data: 'x', format: 'v7' }]))).toBe(true);
    expect(sniffTar(buildTar([{ name: 'a', data: 'x', format: 'v7', corruptChecksum: true }]))).toBe(false);
    expect(sniffTar(new Uint8Array(1024))).toBe(false);
    expect(sniffTar(enc.encode('PK\x03\x04'))).toBe(false);
  });
});

describe('readTarEntries', () => {
  it('lists files, directories and links, and opens members without copying', async () => {
    const tar = buildTar([
      { name: 'sys_info', data: 'little-endian' },
      { name: 'storages/', type: '5' },
      { name: 'storages/0', data: 'x'.repeat(700) },
      { name: 'link', type: '2', linkName: 'storages/0' },
      { name: 'hard', type: '1', linkName: 'sys_info', size: 99 },
      { name: 'fifo', type: '6' },
    ]);
    const src = bufferSource(tar, 'legacy.tar');
    const entries = await readTarEntries(src, DEFAULT_LIMITS);
    expect(entries.map((e) => [e.name, e.type, e.size, e.linkName])).toEqual([
      ['sys_info', 'file', 13, undefined],
      ['storages/', 'directory', 0, undefined],
      ['storages/0', 'file', 700, undefined],
      ['link', 'symlink', 0, 'storages/0'],
      ['hard', 'hardlink', 0, 'sys_info'],
      ['fifo', 'other', 0, undefined],
    ]);
    expect(entries[0]?.dataOffset).toBe(512);
    expect(entries[2]?.headerOffset).toBe(1536);
    expect(await content(src, entries[0])).toBe('little-endian');
    expect(await content(src, entries[2])).toBe('x'.repeat(700));
    expect(openTarMember(bufferSource(tar, 'outer.zip', 'legacy.tar'), entries[0] as TarEntry).member).toBe('legacy.tar!sys_info');
  });

  it('applies the ustar prefix, GNU long names and pax paths', async () => {
    const longName = `${'deep/'.repeat(40)}data.pkl`;
    const tar = buildTar([
      { name: 'data.pkl', prefix: 'some/dir', data: 'a' },
      { name: '././@LongLink', type: 'L', format: 'gnu', data: `${longName}\0` },
      { name: 'truncated', format: 'gnu', data: 'b' },
      { name: 'paxheader', type: 'x', data: paxRecord('path', 'pax/ñame.pkl') + paxRecord('linkpath', 'pax/target') },
      { name: 'short', type: '2', linkName: 'short-target' },
      { name: 'after', data: 'c' },
    ]);
    const entries = await list(tar);
    expect(entries.map((e) => [e.name, e.linkName])).toEqual([
      ['some/dir/data.pkl', undefined],
      [longName, undefined],
      ['pax/ñame.pkl', 'pax/target'],
      ['after', undefined],
    ]);
  });

  it('honours pax size overrides and global headers', async () => {
    const big = 'z'.repeat(1000);
    const tar = buildTar([
      { name: 'global', type: 'g', data: paxRecord('comment', 'hello') },
      { name: 'pax', type: 'x', data: paxRecord('size', String(big.length)) },
      { name: 'big.bin', data: big, size: 0 },
      { name: 'next', data: 'n' },
    ]);
    // The header says size 0 but its data blocks are still written, as an archiver using pax size would.
    const src = bufferSource(tar, 'x.tar');
    const entries = await readTarEntries(src, DEFAULT_LIMITS);
    expect(entries.map((e) => [e.name, e.size])).toEqual([
      ['big.bin', 1000],
      ['next', 1],
    ]);
    expect(await content(src, entries[1])).toBe('n');
  });

  it('reads base-256 sizes and v7 directories', async () => {
    const entries = await list(
      buildTar([
        { name: 'a.bin', data: 'abc', base256Size: true },
        { name: 'olddir/', type: '\0', format: 'v7' },
      ]),
    );
    expect(entries.map((e) => [e.name, e.type, e.size])).toEqual([
      ['a.bin', 'file', 3],
      ['olddir/', 'directory', 0],
    ]);
  });

  it('stops at the end-of-archive block and accepts archives without one', async () => {
    const withJunk = new Uint8Array([...buildTar([{ name: 'a', data: 'x' }]), ...header({ name: 'hidden', size: 0 })]);
    expect((await list(withJunk)).map((e) => e.name)).toEqual(['a']);
    expect((await list(buildTar([{ name: 'a', data: 'x' }], { end: false }))).map((e) => e.name)).toEqual(['a']);
    expect(await list(new Uint8Array(0))).toEqual([]);
  });

  it('rejects a bad checksum with its offset', async () => {
    const tar = buildTar([
      { name: 'a', data: 'x' },
      { name: 'b', data: 'y', corruptChecksum: true },
    ]);
    await expectError(list(tar), 'PARSE_ERROR', /^legacy\.tar: tar header at offset 1024: checksum .* does not match/);
  });

  it('rejects truncated members and headers', async () => {
    const tar = buildTar([{ name: 'a', data: 'x'.repeat(2000) }], { end: false });
    await expectError(list(tar.subarray(0, 1024)), 'PARSE_ERROR', /member "a" expects 2000 bytes of data at offset 512/);
    await expectError(list(tar.subarray(0, 300)), 'PARSE_ERROR', /expected a 512-byte header/);
  });

  it('rejects malformed pax records', async () => {
    const tar = buildTar([{ name: 'pax', type: 'x', data: '99 path=x\n' }, { name: 'a' }]);
    await expectError(list(tar), 'PARSE_ERROR', /malformed pax record/);
  });

  it('stops at maxArchiveEntries', async () => {
    const tar = buildTar(Array.from({ length: 4 }, (_, i) => ({ name: `m${i}`, data: 'x' })));
    await expectError(readTarEntries(bufferSource(tar, 'many.tar'), { ...DEFAULT_LIMITS, maxArchiveEntries: 3 }), 'LIMIT_EXCEEDED', /^many\.tar: .*maxArchiveEntries=3/);
  });
});

describe('findTarAnomalies', () => {
  it('finds nothing in a clean archive', async () => {
    const entries = await list(buildTar([{ name: 'a/b.pkl', data: 'x' }, { name: 'a/', type: '5' }, { name: 'l', type: '2', linkName: 'a/b.pkl' }]));
    expect(findTarAnomalies(entries)).toEqual([]);
  });

  it('reports traversal, absolute paths, duplicates, escaping links and special files', async () => {
    const entries = await list(
      buildTar([
        { name: '../evil.py', data: 'x' },
        { name: '/etc/passwd', data: 'x' },
        { name: 'dup', data: '1' },
        { name: 'dup', data: '2' },
        { name: 'out', type: '2', linkName: '/root/.ssh' },
        { name: 'up', type: '1', linkName: '../../x' },
        { name: 'dev', type: '3' },
      ]),
    );
    expect(findTarAnomalies(entries).map((a) => [a.kind, a.member])).toEqual([
      ['path-traversal', '../evil.py'],
      ['absolute-path', '/etc/passwd'],
      ['duplicate-name', 'dup'],
      ['link-escape', 'out'],
      ['link-escape', 'up'],
      ['special-file', 'dev'],
    ]);
  });
});
