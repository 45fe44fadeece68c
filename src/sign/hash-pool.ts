import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BulwarkError } from '../errors.js';
import type { HashAlgorithm, HashProgress } from './types.js';

/** One byte range of one file to hash. */
export interface HashTask {
  /** Absolute path of the file to read (a followed symlink's target path is fine). */
  path: string;
  /** First byte, inclusive. */
  start: number;
  /** Last byte, exclusive. */
  end: number;
  /**
   * Check that the file ends at `end`: a file that grew after it was listed would otherwise
   * carry unhashed (so unsigned or unverified) bytes.
   */
  checkEof: boolean;
}

/** The result of one task: a digest, or why the range could not be read. */
export type HashOutcome = { ok: true; digest: string } | { ok: false; code: string; message: string };

/** Options of {@link hashRanges}. */
export interface HashPoolOptions {
  algorithm: HashAlgorithm;
  /** Worker threads; 0 = one per core, capped at {@link MAX_DEFAULT_WORKERS}. */
  concurrency: number;
  /** Bytes per read: each worker owns one buffer this size (the only per-file memory). */
  chunkSize: number;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: HashProgress) => void) | undefined;
}

/** Default worker cap: each worker thread is a V8 isolate (about 10 MB), RSS must stay bounded. */
export const MAX_DEFAULT_WORKERS = 8;

/** Defaults of {@link hashRanges}. */
export const DEFAULT_HASH_POOL_OPTIONS: Readonly<Omit<HashPoolOptions, 'algorithm'>> = Object.freeze({
  concurrency: 0,
  chunkSize: 256 * 1024,
});

/** node:crypto names: BLAKE2b is `blake2b512`, the 64-byte digest the reference records. */
function cryptoName(a: HashAlgorithm): string {
  switch (a) {
    case 'sha256':
      return 'sha256';
    case 'blake2b':
      return 'blake2b512';
    default: {
      const never: never = a;
      return never;
    }
  }
}

/**
 * The worker's code. It is a constant of this module (never input) started with `eval: true`
 * so that the same code runs from the TypeScript sources under test and from dist/ without a
 * build step that copies a separate file. It loads its modules with import(), which works whether
 * the worker inherits a CommonJS or an ESM eval mode (`node --input-type=module` passes it on).
 * It streams each range through one reused buffer:
 * memory per worker is `chunkSize`, whatever the file size.
 */
const WORKER_SOURCE = `
'use strict';
Promise.all([import('node:worker_threads'), import('node:crypto'), import('node:fs')]).then(([wt, nodeCrypto, fs]) => {
const { parentPort } = wt;
const { createHash } = nodeCrypto;
const { openSync, readSync, closeSync } = fs;
let buf = null;
const probe = Buffer.alloc(1);
parentPort.on('message', (t) => {
  let fd = -1;
  try {
    if (buf === null || buf.length !== t.chunk) buf = Buffer.allocUnsafe(t.chunk);
    const h = createHash(t.algo);
    fd = openSync(t.path, 'r');
    let pos = t.start;
    let sinceReport = 0;
    while (pos < t.end) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, t.end - pos), pos);
      if (n === 0) {
        const e = new Error('the file is ' + pos + ' bytes, shorter than the ' + t.end + ' expected: it changed while being read');
        e.code = 'CHANGED';
        throw e;
      }
      h.update(n === buf.length ? buf : buf.subarray(0, n));
      pos += n;
      sinceReport += n;
      if (sinceReport >= 67108864) { parentPort.postMessage({ id: t.id, progress: sinceReport }); sinceReport = 0; }
    }
    if (t.checkEof && readSync(fd, probe, 0, 1, t.end) !== 0) {
      const e = new Error('the file is longer than the ' + t.end + ' bytes listed: it changed while being read');
      e.code = 'CHANGED';
      throw e;
    }
    parentPort.postMessage({ id: t.id, digest: h.digest('hex'), progress: sinceReport });
  } catch (e) {
    parentPort.postMessage({ id: t.id, error: String((e && e.message) || e), code: String((e && e.code) || 'EIO') });
  } finally {
    if (fd >= 0) closeSync(fd);
  }
});
});
`;

interface WorkerReply {
  id: number;
  digest?: string;
  error?: string;
  code?: string;
  progress?: number;
}

/**
 * Hashes byte ranges of files in a worker_threads pool: whole files and shards of one file are
 * spread over every core (a large file in shards uses them all), each range streamed through a
 * fixed buffer, so peak memory is bounded by workers x chunkSize whatever the model size.
 * Results are in task order. A range that cannot be read is an outcome, not an exception;
 * an abort terminates the workers and rejects with BulwarkError('ABORTED').
 */
export async function hashRanges(tasks: readonly HashTask[], options: HashPoolOptions): Promise<HashOutcome[]> {
  const results: (HashOutcome | undefined)[] = new Array<HashOutcome | undefined>(tasks.length).fill(undefined);
  if (tasks.length === 0) return [];
  const signal = options.signal;
  if (signal?.aborted) throw new BulwarkError('ABORTED', 'hashing was aborted before it started', { cause: signal.reason });
  const bytesTotal = tasks.reduce((n, t) => n + (t.end - t.start), 0);
  const wanted = options.concurrency > 0 ? options.concurrency : Math.min(availableParallelism(), MAX_DEFAULT_WORKERS);
  // Enough workers to keep every core busy, but no more than the work needs (about 16 MB each).
  const count = Math.max(1, Math.min(wanted, tasks.length, Math.ceil(bytesTotal / (16 * 1024 * 1024)) || 1));
  // Largest first: the longest ranges start early so that the last worker is not left with one.
  const order = tasks.map((_, i) => i).sort((a, b) => tasks[b]!.end - tasks[b]!.start - (tasks[a]!.end - tasks[a]!.start) || a - b);
  const algo = cryptoName(options.algorithm);
  const chunk = Math.max(64 * 1024, Math.min(options.chunkSize, 64 * 1024 * 1024));
  let next = 0;
  let done = 0;
  let bytesDone = 0;
  const workers: Worker[] = [];

  return await new Promise<HashOutcome[]>((resolve, reject) => {
    let settled = false;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      for (const w of workers) void w.terminate();
      if (err !== undefined) reject(err instanceof Error ? err : new BulwarkError('INTERNAL', 'hash pool failed', { cause: err }));
      else resolve(results.map((r) => r ?? { ok: false, code: 'INTERNAL', message: 'not hashed' }));
    };
    const onAbort = (): void => finish(new BulwarkError('ABORTED', 'hashing was aborted', { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });

    const feed = (w: Worker): void => {
      if (next >= order.length) return;
      const id = order[next++]!;
      const t = tasks[id]!;
      w.postMessage({ id, path: t.path, start: t.start, end: t.end, checkEof: t.checkEof, algo, chunk });
    };
    for (let i = 0; i < count; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      workers.push(w);
      w.on('message', (m: WorkerReply) => {
        if (m.progress) {
          bytesDone += m.progress;
          options.onProgress?.({ bytesDone, bytesTotal });
        }
        if (m.digest === undefined && m.error === undefined) return;
        results[m.id] = m.digest !== undefined ? { ok: true, digest: m.digest } : { ok: false, code: m.code ?? 'EIO', message: m.error ?? 'unreadable' };
        done++;
        if (done === tasks.length) finish();
        else feed(w);
      });
      w.on('error', (e) => finish(new BulwarkError('INTERNAL', `hash worker failed: ${e.message}`, { cause: e })));
      feed(w);
    }
  });
}
