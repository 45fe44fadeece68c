import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isBulwarkError } from '../errors.js';
import { hashRanges } from './hash-pool.js';
import { comparePathComponents, compareCodePoint } from './walk.js';
import { parseShardName } from './manifest.js';
import { pae } from './dsse.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = Buffer.alloc(300_000);
for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
const file = join(dir, 'data.bin');
writeFileSync(file, data);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('hashRanges', () => {
  it('hashes ranges across workers in task order, with small reads', async () => {
    const tasks = [0, 100_000, 200_000].map((start) => ({ path: file, start, end: start + 100_000, checkEof: start === 200_000 }));
    const out = await hashRanges(tasks, { algorithm: 'sha256', concurrency: 3, chunkSize: 65_536 });
    expect(out).toEqual(tasks.map((t) => ({ ok: true, digest: sha(data.subarray(t.start, t.end)) })));
    const b2 = await hashRanges([{ path: file, start: 0, end: data.length, checkEof: true }], { algorithm: 'blake2b', concurrency: 1, chunkSize: 1 << 20 });
    expect(b2[0]).toEqual({ ok: true, digest: createHash('blake2b512').update(data).digest('hex') });
  });

  it('reports unreadable, shorter and longer files as outcomes', async () => {
    const out = await hashRanges(
      [
        { path: join(dir, 'absent'), start: 0, end: 10, checkEof: true },
        { path: file, start: 0, end: data.length + 5, checkEof: true },
        { path: file, start: 0, end: 10, checkEof: true },
      ],
      { algorithm: 'sha256', concurrency: 2, chunkSize: 65_536 },
    );
    expect(out[0]).toMatchObject({ ok: false, code: 'ENOENT' });
    expect(out[1]).toMatchObject({ ok: false, code: 'CHANGED' });
    expect(out[2]).toMatchObject({ ok: false, code: 'CHANGED' });
  });

  it('rejects with ABORTED when aborted', async () => {
    const c = new AbortController();
    c.abort();
    await expect(hashRanges([{ path: file, start: 0, end: 10, checkEof: false }], { algorithm: 'sha256', concurrency: 1, chunkSize: 65_536, signal: c.signal })).rejects.toSatisfy((e) => isBulwarkError(e, 'ABORTED'));
  });
});

describe('naming and ordering helpers', () => {
  it('orders by code point (not UTF-16) and by path components', () => {
    expect(['sub/a', 'sub-x', '\u{1F600}', '\uFF01'].sort(compareCodePoint)).toEqual(['sub-x', 'sub/a', '\uFF01', '\u{1F600}']);
    expect(['sub-x', 'sub/a'].sort(comparePathComponents)).toEqual(['sub/a', 'sub-x']);
  });

  it('parses shard names by their last two fields', () => {
    expect(parseShardName('a:b.bin:0:1024')).toEqual({ file: 'a:b.bin', start: 0, end: 1024 });
    expect(parseShardName('a.bin:5:5')).toBeUndefined();
    expect(parseShardName('a.bin')).toBeUndefined();
  });

  it('encodes DSSE PAE with byte lengths', () => {
    expect(pae('t', Buffer.from('héllo')).toString('utf8')).toBe('DSSEv1 1 t 6 héllo');
  });
});

describe('hash workers under an ESM parent', () => {
  it('work when the process runs with --input-type=module (workers inherit it)', async () => {
    const { spawnSync } = await import('node:child_process');
    // The worker source is a constant string in the module: check it in a plain node child, from the sources' build.
    const src = readFileSync(new URL('./hash-pool.ts', import.meta.url), 'utf8');
    const m = /const WORKER_SOURCE = `([\s\S]*?)`;/.exec(src);
    expect(m).not.toBeNull();
    const code = `
      const { Worker } = await import('node:worker_threads');
      const w = new Worker(${JSON.stringify(m![1])}, { eval: true });
      w.on('message', (r) => { process.stdout.write(JSON.stringify(r)); void w.terminate(); });
      w.postMessage({ id: 0, path: ${JSON.stringify(file)}, start: 0, end: 10, checkEof: false, algo: 'sha256', chunk: 65536 });
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 0, digest: sha(data.subarray(0, 10)) });
  });
});
