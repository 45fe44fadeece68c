import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isBulwarkError } from '../errors.js';
import { parseBundle, parseStatement } from './bundle.js';
import { verifyModel } from './verify-model.js';

const interop = fileURLToPath(new URL('../../../shared/interop/model-signing/', import.meta.url));
const reference = readFileSync(join(interop, 'python-signed', 'tiny-model.shards1024.sig'));
const payload = Buffer.from((JSON.parse(reference.toString('utf8')) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, 'base64');
const publicKey = readFileSync(join(interop, 'keys', 'p256.pub.pem'));
const tmp = mkdtempSync(join(tmpdir(), 'bulwark-sign-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function mutate(base: Buffer, edits: { at: number; byte: number }[], cut: number): Buffer {
  const b = Buffer.from(base.subarray(0, Math.max(1, base.length - cut)));
  for (const e of edits) b[e.at % b.length] = e.byte;
  return b;
}
const edits = fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 8 });

describe('bundle and statement parsing under random and mutated input', () => {
  it('parseBundle gives a value or an error, never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), edits.chain((e) => fc.nat({ max: 200 }).map((c) => mutate(reference, e, c).toString('latin1')))), (text) => {
        const r = parseBundle(text);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 400 },
    );
  });

  it('parseStatement gives a value or an error, never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), edits.chain((e) => fc.nat({ max: 300 }).map((c) => mutate(payload, e, c)))), (bytes) => {
        const r = parseStatement(bytes, 1000);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 400 },
    );
  });

  it('verifyModel on a mutated reference bundle reports findings (or verifies), never crashes', async () => {
    await fc.assert(
      fc.asyncProperty(edits, fc.nat({ max: 100 }), async (e, cut) => {
        const sig = join(tmp, 'm.sig');
        writeFileSync(sig, mutate(reference, e, cut));
        try {
          const r = await verifyModel({ modelPath: join(interop, 'tiny-model'), signaturePath: sig, trust: { kind: 'key', publicKey }, concurrency: 1 });
          expect(r.kind).toBe('verify');
          // Any change that still verifies must have left the signed content intact.
          if (r.findings.length === 0) expect(r.subjects[0]?.digest.sha256).toBe('2e2d6b79615324eca2b5baa030d324f5273efd58fab8b33354b9e5314f8270f8');
        } catch (err) {
          expect(isBulwarkError(err)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });
});
