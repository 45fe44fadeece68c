import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signStatement, statementForReport, verifyAttestation } from '../../src/attest/index.js';
import type { Report } from '../../src/report/types.js';

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pub = keys.publicKey.export({ type: 'spki', format: 'pem' });
const report: Report = {
  schemaVersion: 1,
  kind: 'scan',
  tool: { name: 'bulwark', version: 't' },
  target: 'm',
  subjects: [{ name: 'm', digest: { sha256: 'a'.repeat(64) } }],
  rules: [],
  findings: [],
  errors: [],
  skipped: [],
  complete: true,
};

describe('verifyAttestation (property)', () => {
  it('never throws on mutated bundles, and verifies only the untouched signed payload', async () => {
    const bundle = await signStatement(statementForReport(report), { privateKey: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) });
    const text = JSON.stringify(bundle);
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: text.length - 1 }), fc.integer({ min: 0, max: 255 }), (pos, byte) => {
        const mutated = Buffer.from(text);
        mutated[pos] = byte;
        const v = verifyAttestation(mutated, { trust: { publicKey: pub } });
        if (v.ok) {
          // A mutation that still verifies must leave the signed statement unchanged (e.g. JSON whitespace, key hint case).
          const b = JSON.parse(mutated.toString('utf8')) as { dsseEnvelope: { payload: string } };
          expect(Buffer.from(b.dsseEnvelope.payload, 'base64').equals(payload)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
