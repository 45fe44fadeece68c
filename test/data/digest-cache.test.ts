import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { datasetSha256 } from '../../src/data/source.js';
import { tempDir } from '../helpers.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('datasetSha256 digest memo', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('never returns a stale digest: a same-size rewrite with the old mtime restored is hashed again', async () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'd.csv');
      writeFileSync(file, 'a,b\n1,2\n');
      const { atime, mtime } = statSync(file);
      // As if the file had been settled for a while, so that its digest is remembered.
      const now = Date.now();
      vi.spyOn(Date, 'now').mockReturnValue(now + 60_000);
      expect(await datasetSha256(file)).toBe(sha('a,b\n1,2\n'));
      expect(await datasetSha256(file)).toBe(sha('a,b\n1,2\n'));
      // Later than the file-system clock tick of the first write (what the settle time guarantees).
      await new Promise((r) => setTimeout(r, 50));
      writeFileSync(file, 'a,b\n3,4\n');
      utimesSync(file, atime, mtime); // ctime still moves
      expect(await datasetSha256(file)).toBe(sha('a,b\n3,4\n'));
    } finally {
      tmp.cleanup();
    }
  });

  it('does not remember a file changed just before hashing (racy clean)', async () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'e.csv');
      writeFileSync(file, 'x\n1\n');
      expect(await datasetSha256(file)).toBe(sha('x\n1\n'));
      writeFileSync(file, 'x\n2\n');
      expect(await datasetSha256(file)).toBe(sha('x\n2\n'));
    } finally {
      tmp.cleanup();
    }
  });
});
