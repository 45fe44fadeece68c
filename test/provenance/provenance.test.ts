import { generateKeyPairSync } from 'node:crypto';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BULWARK_TRAINING_BUILD_TYPE, buildProvenance, parseCodeRevision, ProvenanceStatementSchema, signProvenance, verifyProvenance } from '../../src/provenance/index.js';
import { computeManifest } from '../../src/sign/index.js';
import { fixture, tempDir } from '../helpers.js';

const MODEL = fixture('bom/project/model');
const TRAIN = fixture('bom/project/data/train.csv');
const BASE = `distilbert/distilbert-base-uncased@sha256:${'c'.repeat(64)}`;
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function keys(): { priv: string; pub: string } {
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { priv: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), pub: k.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

async function statement(): Promise<Awaited<ReturnType<typeof buildProvenance>>> {
  return buildProvenance({
    modelPath: MODEL,
    datasets: [TRAIN],
    baseModel: BASE,
    codeRevision: `https://github.com/example/tiny-sentiment@${COMMIT}`,
    parameters: { learning_rate: '5e-5', epochs: '3' },
    builderId: 'https://ci.example.com/runners/gpu-1',
    invocationId: 'run-42',
    startedOn: new Date('2026-11-20T10:00:00Z'),
    finishedOn: new Date('2026-11-20T12:00:00Z'),
  });
}

describe('training provenance (SLSA v1 in in-toto Statement v1)', () => {
  it('names the model as bulwark verify does and records datasets, base model, code and parameters', async () => {
    const s = await statement();
    const m = await computeManifest({ modelPath: MODEL });
    expect(s.subject).toEqual([{ name: 'model', digest: { sha256: m.rootDigest } }]);
    expect(s.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(s.predicate.buildDefinition.buildType).toBe(BULWARK_TRAINING_BUILD_TYPE);
    expect(s.predicate.buildDefinition.externalParameters.parameters).toEqual({ learning_rate: '5e-5', epochs: '3' });
    const deps = s.predicate.buildDefinition.resolvedDependencies!;
    expect(deps[0]!.digest!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(deps[1]).toEqual({ name: 'distilbert/distilbert-base-uncased', digest: { sha256: 'c'.repeat(64) }, annotations: { role: 'base-model' } });
    expect(deps[2]).toMatchObject({ uri: `git+https://github.com/example/tiny-sentiment@${COMMIT}`, digest: { gitCommit: COMMIT } });
    expect(s.predicate.runDetails).toMatchObject({ builder: { id: 'https://ci.example.com/runners/gpu-1' }, metadata: { invocationId: 'run-42', startedOn: '2026-11-20T10:00:00.000Z', finishedOn: '2026-11-20T12:00:00.000Z' } });
    expect(ProvenanceStatementSchema.safeParse(s).success).toBe(true);
  });

  it('signs as DSSE in a Sigstore bundle that verifies, and fails on tampering, another key or another model', async () => {
    const k = keys();
    const bundle = await signProvenance(await statement(), { privateKey: k.priv });
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    const text = JSON.stringify(bundle);
    expect(await verifyProvenance({ bundle: text, publicKey: k.pub, modelPath: MODEL })).toMatchObject({ ok: true });

    const payload = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as { predicate: { buildDefinition: { externalParameters: { parameters: Record<string, string> } } } };
    payload.predicate.buildDefinition.externalParameters.parameters.epochs = '30';
    const tampered = { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, payload: Buffer.from(JSON.stringify(payload)).toString('base64') } };
    const t = await verifyProvenance({ bundle: JSON.stringify(tampered), publicKey: k.pub });
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.reason).toMatch(/does not verify/);

    expect((await verifyProvenance({ bundle: text, publicKey: keys().pub })).ok).toBe(false);

    const dir = tempDir();
    cleanups.push(dir.cleanup);
    cpSync(MODEL, join(dir.dir, 'model'), { recursive: true });
    writeFileSync(join(dir.dir, 'model', 'config.json'), '{"architectures": ["Other"]}');
    const other = await verifyProvenance({ bundle: text, publicKey: k.pub, modelPath: join(dir.dir, 'model') });
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.reason).toMatch(/is not the statement's subject/);
  });

  it('rejects a bundle whose payload type is not in-toto', async () => {
    const k = keys();
    const bundle = await signProvenance(await statement(), { privateKey: k.priv });
    const r = await verifyProvenance({ bundle: JSON.stringify({ ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, payloadType: 'text/plain' } }), publicKey: k.pub });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/payloadType is "text\/plain", expected application\/vnd\.in-toto\+json/);
  });

  it('rejects a signed payload that is not a provenance statement', async () => {
    const k = keys();
    const s = await statement();
    const bad = await signProvenance({ ...s, predicateType: 'https://example.com/other' } as unknown as typeof s, { privateKey: k.priv });
    const r = await verifyProvenance({ bundle: JSON.stringify(bad), publicKey: k.pub });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/field 'predicateType'/);
  });

  it('rejects malformed --base-model and parses code revisions', async () => {
    await expect(buildProvenance({ modelPath: MODEL, baseModel: 'llama@latest' })).rejects.toMatchObject({ code: 'USAGE' });
    expect(parseCodeRevision(COMMIT)).toEqual({ name: 'training-code', digest: { gitCommit: COMMIT }, annotations: { role: 'code', revision: COMMIT } });
    expect(parseCodeRevision('https://github.com/x/y@v1.2')).toMatchObject({ uri: 'git+https://github.com/x/y@v1.2' });
  });
});
