import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BulwarkError } from '../errors.js';

/**
 * Writes `data` to `file` so that readers see either the old content or the whole new content,
 * never a partial file: write a temporary sibling, then rename over the target.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new BulwarkError('OUTPUT_UNWRITABLE', `${file}: cannot write output (${(err as Error).message})`, { cause: err });
  }
}
