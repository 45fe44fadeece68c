import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { isBulwarkError } from '../src/errors.js';
import { scan } from '../src/scan/scan.js';
import { tempDir } from './helpers.js';
import { buildZip } from './zip-writer.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const EVIL = latin1("cposix\nsystem\n(S'echo bulwark-inert'\ntR.");
const CLEAN = latin1('\x80\x04]\x94.');

function put(name: string, data: Uint8Array): string {
  const p = join(tmp.dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, data);
  return p;
}

const ruleIds = (r: { findings: { ruleId: string }[] }): string[] => [...new Set(r.findings.map((f) => f.ruleId))].sort();

describe('scan: archives', () => {
  it('reports zip path traversal (BW-ARC-003) and still scans the member', async () => {
    const p = put('trav.zip', buildZip([{ name: '../../evil.pkl', data: EVIL }]));
    const r = await scan({ paths: [p] });
    expect(ruleIds(r)).toEqual(['BW-ARC-003', 'BW-PKL-001']);
    expect(r.findings.find((f) => f.ruleId === 'BW-PKL-001')?.location.member).toBe('../../evil.pkl');
  });

  it('reports a zip symlink member (BW-ARC-003), not a regular Unix file', async () => {
    const link = put('link.zip', buildZip([{ name: 'weights', data: '/etc', unixMode: 0o120777 }, { name: 'weights/x.txt', data: 'x', unixMode: 0o100644 }]));
    const r = await scan({ paths: [link] });
    expect(r.findings.map((f) => `${f.ruleId} ${f.location.member ?? ''}`)).toEqual(['BW-ARC-003 weights']);
  });

  it('finds a zip behind a prefix (BW-ARC-004) and a zip appended to a pickle (polyglot), but flags no clean zip', async () => {
    const prefixed = put('prefixed.zip', buildZip([{ name: 'a.pkl', data: EVIL }], { prefix: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) }));
    expect(ruleIds(await scan({ paths: [prefixed] }))).toEqual(['BW-ARC-004', 'BW-PKL-001']);
    const polyglot = put('polyglot.pt', buildZip([{ name: 'archive/data.pkl', data: EVIL }], { prefix: CLEAN }));
    const pr = await scan({ paths: [polyglot] });
    expect(ruleIds(pr)).toEqual(['BW-ARC-004', 'BW-PKL-001']);
    expect(pr.findings.find((f) => f.ruleId === 'BW-PKL-001')?.location.member).toBe('archive/data.pkl');
    const clean = put('clean.zip', buildZip([{ name: 'a.pkl', data: CLEAN, method: 8 }]));
    const r = await scan({ paths: [clean] });
    expect(r.findings).toEqual([]);
    expect(r.complete).toBe(true);
  });

  it('follows nesting (zip in gzip in zip) and stops at the nesting limit', async () => {
    const inner = buildZip([{ name: 'deep/evil.pkl', data: EVIL }]);
    const outer = buildZip([{ name: 'inner.zip.gz', data: gzipSync(inner) }]);
    const p = put('nested.zip', outer);
    const r = await scan({ paths: [p] });
    expect(r.findings.find((f) => f.ruleId === 'BW-PKL-001')?.location.member).toBe('inner.zip.gz!(gzip)!deep/evil.pkl');
    const limited = await scan({ paths: [p], limits: { maxNesting: 1 } });
    expect(limited.findings.some((f) => f.ruleId === 'BW-PKL-001')).toBe(false);
    expect(limited.complete).toBe(false);
    expect(limited.errors[0]?.code).toBe('LIMIT_EXCEEDED');
  });

  it('stops a decompression bomb with a LIMIT_EXCEEDED error, not a crash', async () => {
    const bomb = put('bomb.pkl.gz', gzipSync(Buffer.alloc(64 * 1024 * 1024)));
    const r = await scan({ paths: [bomb] });
    expect(r.complete).toBe(false);
    expect(r.errors.map((e) => e.code)).toEqual(['LIMIT_EXCEEDED']);
    expect(r.errors[0]?.message).toContain('bomb.pkl.gz');
  });

  it('reports compression it cannot read as UNSUPPORTED (incomplete), naming the file', async () => {
    const p = put('model.pkl.xz', Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]));
    const r = await scan({ paths: [p] });
    expect(r.errors).toMatchObject([{ code: 'UNSUPPORTED', uri: p }]);
    expect(r.complete).toBe(false);
  });
});

describe('scan: bytes read', () => {
  it('reads only the pickle of a PyTorch zip, not its storages', async () => {
    const storage = new Uint8Array(8 * 1024 * 1024).fill(0x80);
    const p = put('big.pt', buildZip([{ name: 'archive/data.pkl', data: CLEAN }, { name: 'archive/data/0', data: storage }]));
    const r = await scan({ paths: [p] });
    expect(r.findings).toEqual([]);
    const total = r.metrics?.bytes_total ?? 0;
    const read = r.metrics?.bytes_read ?? Infinity;
    expect(total).toBeGreaterThan(storage.length);
    expect(read / total).toBeLessThan(0.01);
    expect(r.inventory).toEqual([{ path: p, format: 'zip', size: total }]);
  });
});

describe('scan: limits and inputs', () => {
  it('reports an opcode limit as an error, keeping what was found before it', async () => {
    const many = latin1('\x80\x04(' + 'K\x01'.repeat(5000) + 'l' + 'cposix\nsystem\n0.');
    const p = put('many.pkl', many);
    const r = await scan({ paths: [p], limits: { maxOpcodes: 1000 } });
    expect(r.complete).toBe(false);
    expect(r.errors[0]?.code).toBe('LIMIT_EXCEEDED');
    expect(r.errors[0]?.message).toContain('maxOpcodes');
    const full = await scan({ paths: [p] });
    expect(ruleIds(full)).toEqual(['BW-PKL-001']);
  });

  it('does not flag an extension that matches its content, and skips unknown files with a reason', async () => {
    const dir = join(tmp.dir, 'repo');
    put('repo/model.pkl', CLEAN);
    put('repo/README.md', latin1('# hello\n'));
    put('repo/.git/objects/pack.pkl', EVIL);
    symlinkSync(join(tmp.dir, 'repo'), join(tmp.dir, 'repo', 'loop'));
    const r = await scan({ paths: [dir] });
    expect(r.findings).toEqual([]);
    expect(r.metrics?.files_scanned).toBe(2);
    expect(r.skipped).toEqual([
      { uri: `${dir}/loop`, reason: 'symbolic link to a directory (not followed)' },
      { uri: `${dir}/README.md`, reason: 'not a model format Bulwark recognises' },
    ]);
  });

  it('records SHA-256 subjects with digest: true', async () => {
    const p = put('digest.pkl', CLEAN);
    const r = await scan({ paths: [p], digest: true });
    expect(r.subjects).toEqual([{ name: p, digest: { sha256: createHash('sha256').update(CLEAN).digest('hex') } }]);
    expect((await scan({ paths: [p] })).subjects).toEqual([]);
  });

  it('rejects a missing path with FILE_NOT_FOUND and honours an aborted signal', async () => {
    await expect(scan({ paths: [join(tmp.dir, 'missing.pt')] })).rejects.toSatisfy((e: unknown) => isBulwarkError(e, 'FILE_NOT_FOUND'));
    const ac = new AbortController();
    ac.abort();
    await expect(scan({ paths: [put('x.pkl', CLEAN)], signal: ac.signal })).rejects.toSatisfy((e: unknown) => isBulwarkError(e, 'ABORTED'));
  });
});
