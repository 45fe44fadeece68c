import { describe, expect, it } from 'vitest';

import { crc32 } from 'node:zlib';

import { buildZip, enc, u16, u32, type TestMember, type TestZipOptions } from '../../test/zip-writer.js';

import { expectError } from '../../test/expect-error.js';
import { bufferSource, type ByteSource } from './byte-source.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { createInflateBudget } from './inflate.js';
import { openZipMember, readZipDirectory, sniffZip, type ZipAnomaly, type ZipDirectory } from './zip.js';

const limits: Limits = { ...DEFAULT_LIMITS };

function zipSource(zip: Uint8Array): ByteSource {
  return bufferSource(zip, 'model.zip');
}

async function read(members: TestMember[], opts?: TestZipOptions): Promise<ZipDirectory> {
  return readZipDirectory(zipSource(buildZip(members, opts)), limits);
}

function kinds(dir: { anomalies: ZipAnomaly[] }): string[] {
  return dir.anomalies.map((a) => a.kind);
}

async function text(src: ByteSource, zip: ZipDirectory, name: string, opts: { anomalies?: ZipAnomaly[] } = {}): Promise<string> {
  const entry = zip.entries.find((e) => e.name === name);
  if (entry === undefined) throw new Error(`no ${name}`);
  const member = await openZipMember(src, entry, { limits, budget: createInflateBudget(limits), ...opts });
  return new TextDecoder().decode(await member.read(0, member.size));
}

const CLEAN: TestMember[] = [
  { name: 'archive/data.pkl', data: 'pickle bytes here', method: 8 },
  { name: 'archive/data/0', data: 'tensor-bytes' },
  { name: 'archive/', data: '' },
];

describe('sniffZip', () => {
  it('recognises local headers and empty archives only', () => {
    expect(sniffZip(buildZip(CLEAN))).toBe(true);
    expect(sniffZip(buildZip([]))).toBe(true);
    expect(sniffZip(Uint8Array.from([0x80, 0x02, 0x7d]))).toBe(false);
    expect(sniffZip(enc.encode('PK'))).toBe(false);
  });
});

describe('readZipDirectory', () => {
  it('reads a clean archive with no anomalies', async () => {
    const zip = buildZip(CLEAN);
    const src = zipSource(zip);
    const dir = await readZipDirectory(src, limits);
    expect(dir.anomalies).toEqual([]);
    expect(dir.zip64).toBe(false);
    expect(dir.entries.map((e) => [e.name, e.method, e.isDirectory])).toEqual([
      ['archive/data.pkl', 8, false],
      ['archive/data/0', 0, false],
      ['archive/', 0, true],
    ]);
    expect(await text(src, dir, 'archive/data.pkl')).toBe('pickle bytes here');
    expect(await text(src, dir, 'archive/data/0')).toBe('tensor-bytes');
  });

  it('reads an empty archive', async () => {
    const dir = await read([]);
    expect(dir.entries).toEqual([]);
    expect(dir.anomalies).toEqual([]);
  });

  it('reads ZIP64 records and extra fields', async () => {
    const zip = buildZip(CLEAN, { zip64: true });
    const src = zipSource(zip);
    const dir = await readZipDirectory(src, limits);
    expect(dir.zip64).toBe(true);
    expect(dir.anomalies).toEqual([]);
    expect(dir.entries).toHaveLength(3);
    expect(await text(src, dir, 'archive/data.pkl')).toBe('pickle bytes here');
    expect(await text(src, dir, 'archive/data/0')).toBe('tensor-bytes');
  });

  it('accepts data descriptors (as PyTorch writes them) without anomalies', async () => {
    const members: TestMember[] = [
      { name: 'a/data.pkl', data: 'deflated with descriptor', method: 8, dataDescriptor: true, flags: 0x800 },
      { name: 'a/data/0', data: 'stored with descriptor', dataDescriptor: true, flags: 0x800 },
    ];
    const src = zipSource(buildZip(members));
    const dir = await readZipDirectory(src, limits);
    expect(dir.anomalies).toEqual([]);
    expect(await text(src, dir, 'a/data.pkl')).toBe('deflated with descriptor');
    expect(await text(src, dir, 'a/data/0')).toBe('stored with descriptor');
  });

  it('reports the encrypted flag but reads the member anyway', async () => {
    const members: TestMember[] = [
      { name: 'archive/data.pkl', data: 'still loads', method: 8, flags: 1 },
      { name: 'archive/other.pkl', data: 'stored too', flags: 1 },
    ];
    const src = zipSource(buildZip(members));
    const dir = await readZipDirectory(src, limits);
    expect(kinds(dir)).toEqual(['flag-bits', 'flag-bits']);
    expect(dir.anomalies[0]?.detail).toMatch(/bit 0 \(encrypted\)/);
    expect(await text(src, dir, 'archive/data.pkl')).toBe('still loads');
    expect(await text(src, dir, 'archive/other.pkl')).toBe('stored too');
  });

  it('says so when a member flagged as encrypted really does not inflate', async () => {
    const zip = buildZip([{ name: 'secret.pkl', data: 'plain', method: 8, flags: 1 }]);
    const src = zipSource(zip);
    const dir = await readZipDirectory(src, limits);
    const entry = dir.entries[0];
    if (entry === undefined) throw new Error('missing entry');
    // Scramble the deflate stream as traditional PKWARE encryption would.
    const garbled = zip.slice();
    garbled.fill(0xff, entry.dataOffset, entry.dataOffset + entry.compressedSize);
    await expectError(
      openZipMember(zipSource(garbled), entry, { limits, budget: createInflateBudget(limits) }),
      'PARSE_ERROR',
      /model\.zip!secret\.pkl: corrupt deflate-raw stream at offset \d+.*flagged as encrypted$/,
    );
  });

  it('reports strong-encryption, masked-header and reserved bits, and flags set only locally', async () => {
    const dir = await read([
      { name: 'a', data: 'x', flags: 1 << 6 },
      { name: 'b', data: 'x', flags: 1 << 13 },
      { name: 'c', data: 'x', flags: 1 << 15 },
      { name: 'd', data: 'x', localFlags: 1 },
    ]);
    const flagDetails = dir.anomalies.filter((a) => a.kind === 'flag-bits').map((a) => [a.member, a.detail]);
    expect(flagDetails).toHaveLength(4);
    expect(flagDetails[0]?.[1]).toMatch(/bit 6 \(strong encryption\)/);
    expect(flagDetails[1]?.[1]).toMatch(/bit 13 \(masked local header\)/);
    expect(flagDetails[2]?.[1]).toMatch(/bit 15 \(reserved\)/);
    expect(flagDetails[3]).toEqual(['d', expect.stringMatching(/local 0x0001 set bit 0/)]);
    expect(dir.anomalies.find((a) => a.member === 'd' && a.kind === 'local-header-mismatch')?.detail).toMatch(/flags 0x0001/);
  });

  it('reports a local name that differs and still finds the data after the local name', async () => {
    const src = zipSource(buildZip([{ name: 'archive/data.pkl', localName: 'archive/innocent-and-much-longer.txt', data: 'payload' }]));
    const dir = await readZipDirectory(src, limits);
    expect(kinds(dir)).toEqual(['name-mismatch']);
    expect(dir.entries[0]?.localName).toBe('archive/innocent-and-much-longer.txt');
    expect(await text(src, dir, 'archive/data.pkl')).toBe('payload');
  });

  it('reports names with a NUL byte and Info-ZIP Unicode Path fields that rename the member', async () => {
    const rawName = enc.encode('data.pkl');
    const upName = enc.encode('other.pkl');
    const up = [...u16(0x7075), ...u16(5 + upName.length), 1, ...u32(crc32(rawName)), ...upName];
    const dir = await read([
      { name: 'evil.pkl\0.txt', data: 'x' },
      { name: 'data.pkl', data: 'y', centralExtra: Uint8Array.from(up) },
    ]);
    expect(dir.anomalies.map((a) => [a.kind, a.member])).toEqual([
      ['name-mismatch', 'evil.pkl\0.txt'],
      ['name-mismatch', 'data.pkl'],
    ]);
    expect(dir.anomalies[0]?.detail).toMatch(/truncates it to "evil.pkl"/);
    expect(dir.anomalies[1]?.detail).toMatch(/"other.pkl"/);
  });

  it('reports duplicate names', async () => {
    const dir = await read([
      { name: 'archive/data.pkl', data: 'first' },
      { name: 'archive/data.pkl', data: 'second' },
    ]);
    expect(dir.anomalies).toEqual([expect.objectContaining({ kind: 'duplicate-name', member: 'archive/data.pkl' })]);
  });

  it('reports traversal and absolute paths in either separator style', async () => {
    const dir = await read([
      { name: '../evil.py', data: 'x' },
      { name: 'a/..\\..\\evil.py', data: 'x' },
      { name: '/etc/cron.d/x', data: 'x' },
      { name: 'C:\\Windows\\x', data: 'x' },
      { name: 'fine/..name/ok..', data: 'x' },
    ]);
    expect(dir.anomalies.map((a) => [a.kind, a.member])).toEqual([
      ['path-traversal', '../evil.py'],
      ['path-traversal', 'a/..\\..\\evil.py'],
      ['absolute-path', '/etc/cron.d/x'],
      ['absolute-path', 'C:\\Windows\\x'],
    ]);
    expect(dir.anomalies[1]?.detail).toMatch(/backslashes/);
  });

  it('reports traversal hidden in the local name', async () => {
    const dir = await read([{ name: 'ok.txt', localName: '../../evil.txt', data: 'x' }]);
    expect(kinds(dir)).toEqual(['name-mismatch', 'path-traversal']);
  });

  it('reports junk before the archive with absolute offsets (a polyglot)', async () => {
    const prefix = Uint8Array.from([0x80, 0x02, 0x4e, 0x2e]);
    const src = zipSource(buildZip(CLEAN, { prefix }));
    const dir = await readZipDirectory(src, limits);
    expect(dir.anomalies).toEqual([expect.objectContaining({ kind: 'prefix-data', member: '', offset: 0 })]);
    expect(dir.offsetShift).toBe(0);
    expect(await text(src, dir, 'archive/data/0')).toBe('tensor-bytes');
  });

  it('reports a prepended stub with directory offsets relative to the archive (self-extracting)', async () => {
    const prefix = enc.encode('#!/bin/sh\necho stub\nexit 0\n');
    const src = zipSource(buildZip(CLEAN, { prefix, relativeOffsets: true }));
    const dir = await readZipDirectory(src, limits);
    expect(kinds(dir)).toEqual(['prefix-data']);
    expect(dir.offsetShift).toBe(prefix.length);
    expect(dir.anomalies[0]?.detail).toMatch(/shifted by 27/);
    expect(await text(src, dir, 'archive/data.pkl')).toBe('pickle bytes here');
  });

  it('reports an unsupported method, and opening that member is UNSUPPORTED', async () => {
    const src = zipSource(buildZip([{ name: 'x.bin', data: 'BZh9...', method: 12 }]));
    const dir = await readZipDirectory(src, limits);
    expect(kinds(dir)).toEqual(['unsupported-method']);
    await expectError(text(src, dir, 'x.bin'), 'UNSUPPORTED', /model\.zip!x\.bin: compression method 12 \(bzip2\)/);
  });

  it('reports local header fields that differ from the central directory', async () => {
    const dir = await read([{ name: 'a', data: 'x', localCrc: 0x1234 }]);
    expect(kinds(dir)).toEqual(['local-header-mismatch']);
    expect(dir.anomalies[0]?.detail).toMatch(/CRC 0x00001234/);
  });

  it('reports a stored member with different declared sizes', async () => {
    const dir = await read([{ name: 'a', data: 'xyz', uncompressedSize: 99 }]);
    expect(kinds(dir)).toContain('size-mismatch');
  });

  it('reports inflated size and CRC that differ from the declared ones when opening', async () => {
    const src = zipSource(buildZip([{ name: 'a.pkl', data: 'actual content', method: 8, uncompressedSize: 3, crc: 7 }]));
    const dir = await readZipDirectory(src, limits);
    const found: ZipAnomaly[] = [];
    expect(await text(src, dir, 'a.pkl', { anomalies: found })).toBe('actual content');
    expect(found.map((a) => a.kind)).toEqual(['size-mismatch', 'crc-mismatch']);
  });

  it('reports members that share data', async () => {
    const dir = await read([
      { name: 'a.pkl', data: 'shared' },
      { name: 'b.pkl', data: 'shared', reuse: 0 },
    ]);
    expect(dir.anomalies.map((a) => [a.kind, a.member])).toEqual([
      ['name-mismatch', 'b.pkl'],
      ['overlapping-data', 'b.pkl'],
    ]);
  });

  it('reports an end-record count that differs from the directory', async () => {
    const dir = await read(CLEAN, { declaredCount: 2 });
    expect(kinds(dir)).toEqual(['entry-count-mismatch']);
    expect(dir.entries).toHaveLength(3);
  });

  it('reports a missing local header, and refuses to open that member', async () => {
    const src = zipSource(buildZip([{ name: 'ok', data: 'x' }, { name: 'ghost', data: 'y', noLocal: true }]));
    const dir = await readZipDirectory(src, limits);
    expect(dir.anomalies).toEqual([expect.objectContaining({ kind: 'bad-local-header', member: 'ghost' })]);
    await expectError(text(src, dir, 'ghost'), 'PARSE_ERROR', /model\.zip!ghost: expected a valid local header/);
  });

  it('names the nested member chain in opened sources', async () => {
    const zip = buildZip(CLEAN);
    const outer = bufferSource(zip, 'bundle.tar', 'inner.zip');
    const dir = await readZipDirectory(outer, limits);
    const entry = dir.entries[1];
    if (entry === undefined) throw new Error('missing entry');
    const member = await openZipMember(outer, entry, { limits, budget: createInflateBudget(limits) });
    expect(member.uri).toBe('bundle.tar');
    expect(member.member).toBe('inner.zip!archive/data/0');
  });
});

describe('readZipDirectory errors', () => {
  it('rejects data that is not a zip, naming the file', async () => {
    await expectError(readZipDirectory(bufferSource(enc.encode('not a zip at all'), 'x.pt'), limits), 'PARSE_ERROR', /^x\.pt: not a zip archive/);
  });

  it('rejects a truncated central directory with its offset', async () => {
    const zip = buildZip(CLEAN);
    const eocd = zip.length - 22;
    const cdSize = new DataView(zip.buffer).getUint32(eocd + 12, true);
    const cdOffset = new DataView(zip.buffer).getUint32(eocd + 16, true);
    // Drop the second half of the directory but keep the end record.
    const cut = Math.floor(cdSize / 2);
    const truncated = Uint8Array.from([...zip.subarray(0, cdOffset + cut), ...zip.subarray(eocd)]);
    await expectError(readZipDirectory(zipSource(truncated), limits), 'PARSE_ERROR', /model\.zip: .*offset \d+/);
  });

  it('rejects a central directory entry that is not one', async () => {
    const zip = buildZip(CLEAN);
    const eocd = zip.length - 22;
    const cdOffset = new DataView(zip.buffer).getUint32(eocd + 16, true);
    const cdSize = new DataView(zip.buffer).getUint32(eocd + 12, true);
    const broken = zip.slice();
    // Corrupt the second entry's signature: the first one is found, so the directory is located.
    const second = cdOffset + 46 + 'archive/data.pkl'.length;
    broken[second] = 0;
    expect(second).toBeLessThan(cdOffset + cdSize);
    await expectError(readZipDirectory(zipSource(broken), limits), 'PARSE_ERROR', new RegExp(`entry 1 expected at offset ${second}`));
  });

  it('stops at maxArchiveEntries, naming the count', async () => {
    const members = Array.from({ length: 5 }, (_, i) => ({ name: `m${i}`, data: 'x' }));
    const zip = buildZip(members);
    await expectError(readZipDirectory(zipSource(zip), { ...limits, maxArchiveEntries: 3 }), 'LIMIT_EXCEEDED', /model\.zip: .*5 entries.*maxArchiveEntries=3/);
    // A lying end record does not get past the limit either.
    await expectError(
      readZipDirectory(zipSource(buildZip(members, { declaredCount: 1 })), { ...limits, maxArchiveEntries: 3 }),
      'LIMIT_EXCEEDED',
      /more than 3 entries/,
    );
  });
});

describe('openZipMember limits', () => {
  const zeros = new Uint8Array(50 * 1024 * 1024);
  const bombZip = buildZip([{ name: 'bomb.pkl', data: zeros, method: 8 }]);

  it('stops a deflate bomb by its compression ratio and refunds the budget', async () => {
    const src = zipSource(bombZip);
    const dir = await readZipDirectory(src, limits);
    const entry = dir.entries[0];
    if (entry === undefined) throw new Error('missing entry');
    expect(entry.compressedSize).toBeLessThan(100_000);
    const budget = createInflateBudget(limits);
    await expectError(
      openZipMember(src, entry, { limits, budget }),
      'LIMIT_EXCEEDED',
      /model\.zip!bomb\.pkl: decompression bomb: .*maxCompressionRatio=200/,
    );
    expect(budget.remaining).toBe(limits.maxTotalInflatedBytes);
  });

  it('inflates the same member when the ratio limit allows it, and charges the budget', async () => {
    const src = zipSource(bombZip);
    const dir = await readZipDirectory(src, limits);
    const entry = dir.entries[0];
    if (entry === undefined) throw new Error('missing entry');
    const generous = { ...limits, maxCompressionRatio: 10_000 };
    const budget = createInflateBudget(generous);
    const member = await openZipMember(src, entry, { limits: generous, budget });
    expect(member.size).toBe(zeros.length);
    expect(budget.remaining).toBe(generous.maxTotalInflatedBytes - zeros.length);
  });

  it('enforces maxMemberBytes and the shared budget', async () => {
    const data = enc.encode('0123456789'.repeat(300_000));
    const src = zipSource(buildZip([{ name: 'a', data, method: 8 }, { name: 'b', data, method: 8 }]));
    const dir = await readZipDirectory(src, limits);
    const [a, b] = dir.entries;
    if (a === undefined || b === undefined) throw new Error('missing entries');
    const loose = { ...limits, maxCompressionRatio: 1e9 };
    await expectError(
      openZipMember(src, a, { limits: { ...loose, maxMemberBytes: 1000 }, budget: createInflateBudget(loose) }),
      'LIMIT_EXCEEDED',
      /maxMemberBytes=1000/,
    );
    const budget = { remaining: data.length + 10 };
    await openZipMember(src, a, { limits: loose, budget });
    expect(budget.remaining).toBe(10);
    await expectError(openZipMember(src, b, { limits: loose, budget }), 'LIMIT_EXCEEDED', /maxTotalInflatedBytes/);
  });

  it('returns stored members as a window without reading them', async () => {
    const zip = buildZip(CLEAN);
    let reads = 0;
    const inner = zipSource(zip);
    const counting: ByteSource = { ...inner, read: (o, l) => ((reads += l), inner.read(o, l)) };
    const dir = await readZipDirectory(counting, limits);
    const entry = dir.entries.find((e) => e.name === 'archive/data/0');
    if (entry === undefined) throw new Error('missing entry');
    const before = reads;
    const member = await openZipMember(counting, entry, { limits, budget: createInflateBudget(limits) });
    expect(reads).toBe(before);
    expect(member.size).toBe('tensor-bytes'.length);
  });

  it('rejects member data that runs past the end of the file', async () => {
    const zip = buildZip([{ name: 'a', data: 'abcdef' }]);
    const dir = await readZipDirectory(zipSource(zip), limits);
    const entry = dir.entries[0];
    if (entry === undefined) throw new Error('missing entry');
    await expectError(
      openZipMember(zipSource(zip), { ...entry, compressedSize: 10_000 }, { limits, budget: createInflateBudget(limits) }),
      'PARSE_ERROR',
      /expected 10000 bytes of member data at offset 31/,
    );
  });
});
