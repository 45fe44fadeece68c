import { cpSync, mkdtempSync, rmSync, chmodSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared interop material (signatures made by the Python reference). */
export const INTEROP = fileURLToPath(new URL('../../../shared/interop/model-signing/', import.meta.url));
/** The tiny model signed by the reference. */
export const TINY = join(INTEROP, 'tiny-model');
/** The reference's signatures. */
export const PY_SIGNED = join(INTEROP, 'python-signed');
/** The public key that verifies them. */
export const PUB_KEY = join(INTEROP, 'keys', 'p256.pub.pem');

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) makeWritable(p);
    else chmodSync(p, 0o644);
  }
}

/** A writable temporary copy of the tiny model; call the returned cleanup when done. */
export function tinyCopy(): { dir: string; model: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-sign-'));
  const model = join(dir, 'tiny-model');
  cpSync(TINY, model, { recursive: true });
  makeWritable(model);
  return { dir, model, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A temporary directory. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-sign-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
