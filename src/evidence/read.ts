import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { z } from 'zod';
import { isDeepStrictEqual } from 'node:util';
import { describeZodError, parseReport, verifyAttestation, type AttestationTrust } from '../attest/index.js';
import { BulwarkError } from '../errors.js';
import type { AttestationEvidence, PolicyVerdict } from '../policy/index.js';
import type { Report } from '../report/types.js';
import type { EvidenceManifest, LoadedEvidence } from './types.js';
import { EVIDENCE_MANIFEST } from './write.js';

/** Limits of {@link readEvidence}. */
export interface ReadEvidenceLimits {
  /** Largest file read (bytes). */
  maxFileBytes: number;
  /** Most reports listed. */
  maxReports: number;
}

/** Default {@link ReadEvidenceLimits}. */
export const DEFAULT_READ_EVIDENCE_LIMITS: Readonly<ReadEvidenceLimits> = Object.freeze({ maxFileBytes: 512 * 1024 * 1024, maxReports: 1000 });

const REL = z
  .string()
  .max(500)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && !normalize(p).split(sep).includes('..'), 'expected a relative path inside the directory');
const HEX64 = z.string().regex(/^[0-9a-f]{64}$/);

const MANIFEST_SCHEMA = z.object({
  schemaVersion: z.literal(1),
  tool: z.object({ name: z.literal('bulwark'), version: z.string().max(100) }),
  generatedAt: z.string().max(100),
  verdict: z.enum(['pass', 'fail', 'incomplete']),
  reports: z.array(
    z.object({
      name: z.string().regex(/^[a-z0-9_-]{1,100}$/),
      kind: z.string().max(100),
      target: z.string().max(8192),
      file: REL,
      sha256: HEX64,
      attestation: REL.optional(),
      attestationSkipped: z.string().max(10_000).optional(),
    }),
  ),
  signers: z.record(z.string().max(8192), z.string().max(200)),
  files: z.record(REL, HEX64),
});

const VERDICT_SCHEMA = z
  .object({
    schemaVersion: z.literal(1),
    verdict: z.enum(['pass', 'fail', 'incomplete']),
    policy: z.object({ source: z.string(), digest: z.string() }),
    today: z.string(),
    reasons: z.array(z.object({ effect: z.enum(['fail', 'incomplete', 'warn', 'info']), code: z.string(), message: z.string() }).passthrough()),
    rules: z.array(z.object({ id: z.string(), status: z.string() }).passthrough()),
    allowed: z.array(z.unknown()),
    evidence: z.record(z.string(), z.unknown()),
  })
  .passthrough();

/**
 * Reads one evidence file whole, refusing it before reading when it is over `max` bytes. Errors
 * name the file: FILE_NOT_FOUND, FILE_UNREADABLE, LIMIT_EXCEEDED.
 */
export async function readEvidenceFile(path: string, max: number): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BulwarkError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `${path}: cannot read (${(err as Error).message})`, { cause: err });
  }
  try {
    const size = (await fh.stat()).size;
    if (size > max) throw new BulwarkError('LIMIT_EXCEEDED', `${path}: ${size} bytes, over the limit of ${max} (limit maxFileBytes)`);
    const buf = Buffer.alloc(size);
    const { bytesRead } = await fh.read(buf, 0, size, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Parses an evidence file's bytes as JSON; PARSE_ERROR naming the file. */
export function parseEvidenceJson(buf: Buffer, path: string): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new BulwarkError('PARSE_ERROR', `${path}: not JSON (${(err as Error).message})`, { cause: err });
  }
}

/**
 * Loads an evidence directory written by {@link writeEvidence}: the manifest, every report
 * (validated, and checked against the manifest's digest so that an edited report is refused),
 * the attestation bundles and the verdict. Anything unreadable, invalid or altered throws a
 * BulwarkError naming the file (FILE_NOT_FOUND, FILE_UNREADABLE, PARSE_ERROR, LIMIT_EXCEEDED):
 * a policy must never decide on evidence it could not read.
 */
export async function readEvidence(dir: string, limits: Partial<ReadEvidenceLimits> = {}): Promise<LoadedEvidence> {
  const lim = { ...DEFAULT_READ_EVIDENCE_LIMITS, ...limits };
  const manifestPath = join(dir, EVIDENCE_MANIFEST);
  const m = MANIFEST_SCHEMA.safeParse(parseEvidenceJson(await readEvidenceFile(manifestPath, lim.maxFileBytes), manifestPath));
  if (!m.success) throw new BulwarkError('PARSE_ERROR', `${manifestPath}: not a Bulwark evidence manifest (${describeZodError(m.error)})`);
  const manifest = m.data as EvidenceManifest;
  if (manifest.reports.length > lim.maxReports) throw new BulwarkError('LIMIT_EXCEEDED', `${manifestPath}: ${manifest.reports.length} reports, over the limit of ${lim.maxReports}`);
  const reports: Report[] = [];
  const attestations: Record<string, string> = {};
  for (const entry of manifest.reports) {
    const path = join(dir, entry.file);
    const buf = await readEvidenceFile(path, lim.maxFileBytes);
    const digest = createHash('sha256').update(buf).digest('hex');
    if (digest !== entry.sha256) throw new BulwarkError('PARSE_ERROR', `${path}: its sha256 ${digest} is not the manifest's ${entry.sha256}: the report was changed after the evidence was written`);
    const r = parseReport(parseEvidenceJson(buf, path));
    if (!r.ok) throw new BulwarkError('PARSE_ERROR', `${path}: not a Bulwark report (${r.error})`);
    reports.push(r.report);
    if (entry.attestation !== undefined) attestations[entry.name] = (await readEvidenceFile(join(dir, entry.attestation), lim.maxFileBytes)).toString('utf8');
  }
  let verdict: PolicyVerdict | undefined;
  if (manifest.files['verdict.json'] !== undefined) {
    const p = join(dir, 'verdict.json');
    const buf = await readEvidenceFile(p, lim.maxFileBytes);
    const digest = createHash('sha256').update(buf).digest('hex');
    if (digest !== manifest.files['verdict.json']) throw new BulwarkError('PARSE_ERROR', `${p}: its sha256 ${digest} is not the manifest's: the verdict was changed after the evidence was written`);
    const v = VERDICT_SCHEMA.safeParse(parseEvidenceJson(buf, p));
    if (!v.success) throw new BulwarkError('PARSE_ERROR', `${p}: not a Bulwark verdict (${describeZodError(v.error)})`);
    verdict = v.data as unknown as PolicyVerdict;
  }
  return { dir, manifest, reports, attestations, verdict, signers: manifest.signers };
}

/**
 * Verifies the stored attestations of loaded evidence with `trust`: each must verify and carry
 * exactly the stored report (a report swapped after signing fails). The result feeds
 * `Evidence.attestations`, where any failure fails the gate.
 */
export function verifyEvidenceAttestations(loaded: LoadedEvidence, trust: AttestationTrust): AttestationEvidence[] {
  const out: AttestationEvidence[] = [];
  loaded.manifest.reports.forEach((entry, i) => {
    const text = loaded.attestations[entry.name];
    if (text === undefined) return;
    const v = verifyAttestation(text, { trust });
    const base = { kind: entry.kind, target: entry.target };
    if (!v.ok) out.push({ ...base, ok: false, error: v.error });
    else if (!v.report || !isDeepStrictEqual(v.report, loaded.reports[i])) out.push({ ...base, ok: false, error: `the attested report is not ${entry.file}` });
    else out.push({ ...base, ok: true });
  });
  return out;
}
