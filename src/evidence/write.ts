import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { signStatement, statementForReport, type AttestationBundle, type AttestationSigner } from '../attest/index.js';
import { BulwarkError, isBulwarkError } from '../errors.js';
import type { PolicyVerdict } from '../policy/index.js';
import type { Report } from '../report/types.js';
import { VERSION } from '../version.js';
import { nameReports } from './names.js';
import { renderMergedSarif } from './sarif.js';
import { renderSummaryHtml, renderSummaryMarkdown } from './summary.js';
import type { EvidenceManifest, EvidenceReportEntry, StoredAttestation } from './types.js';

/** The manifest file of an evidence directory. */
export const EVIDENCE_MANIFEST = 'evidence.json';

/** Options of {@link writeEvidence}. */
export interface WriteEvidenceOptions {
  reports: readonly Report[];
  verdict: PolicyVerdict;
  /** The injected clock (evidence.json `generatedAt`, the summaries). */
  clock: () => Date;
  /** Sign every report (with subjects) as an in-toto attestation. */
  signer?: AttestationSigner | undefined;
  /** Attestations signed elsewhere, by report index. */
  attestations?: readonly StoredAttestation[] | undefined;
  /** Signer name per verify report target, kept so that `policy eval DIR` sees the same evidence. */
  signers?: Readonly<Record<string, string>> | undefined;
}

/** What was written. */
export interface WriteEvidenceResult {
  dir: string;
  manifest: EvidenceManifest;
}

function sha256(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}

async function isEvidenceDirOrEmpty(dir: string): Promise<'absent' | 'ok' | 'foreign'> {
  let entries: string[];
  try {
    if (!(await stat(dir)).isDirectory()) return 'foreign';
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw new BulwarkError('OUTPUT_UNWRITABLE', `${dir}: cannot inspect the evidence directory (${(err as Error).message})`, { cause: err });
  }
  return entries.length === 0 || entries.includes(EVIDENCE_MANIFEST) ? 'ok' : 'foreign';
}

/**
 * Writes an evidence directory: `reports/<name>.json`, `attestations/<name>.sigstore.json` (when a
 * signer or attestations are given), `bulwark.sarif` (one run per report), `summary.md`,
 * `summary.html`, `verdict.json` and the manifest `evidence.json` with every file's digest.
 * Atomic as a whole: everything is written to a temporary sibling directory which then replaces
 * `dir` by rename, so a reader never sees a half-written directory. An existing `dir` is replaced
 * only if it is empty or an evidence directory (has `evidence.json`): Bulwark never deletes a
 * directory it did not write.
 */
export async function writeEvidence(dir: string, options: WriteEvidenceOptions): Promise<WriteEvidenceResult> {
  const target = resolve(dir);
  const state = await isEvidenceDirOrEmpty(target);
  if (state === 'foreign') throw new BulwarkError('OUTPUT_UNWRITABLE', `${dir}: exists and is not an evidence directory (no ${EVIDENCE_MANIFEST}); refusing to replace it`);
  const generatedAt = options.clock().toISOString();
  const named = nameReports(options.reports);

  // Sign first: a bad key must fail before anything touches the disk.
  const bundles = new Map<number, AttestationBundle>();
  const skipped = new Map<number, string>();
  for (const a of options.attestations ?? []) bundles.set(a.reportIndex, a.bundle);
  if (options.signer) {
    for (const { index, report } of named) {
      if (bundles.has(index)) continue;
      if (report.subjects.length === 0) {
        skipped.set(index, 'the report has no subjects to attest');
        continue;
      }
      try {
        bundles.set(index, await signStatement(statementForReport(report), options.signer));
      } catch (err) {
        if (isBulwarkError(err, 'USAGE')) skipped.set(index, err.message);
        else throw err;
      }
    }
  }

  const files = new Map<string, string>();
  const entries: EvidenceReportEntry[] = [];
  for (const { name, index, report } of named) {
    const text = JSON.stringify(report, null, 2) + '\n';
    const file = `reports/${name}.json`;
    files.set(file, text);
    const entry: EvidenceReportEntry = { name, kind: report.kind, target: report.target, file, sha256: sha256(text) };
    const bundle = bundles.get(index);
    if (bundle) {
      const att = `attestations/${name}.sigstore.json`;
      files.set(att, JSON.stringify(bundle) + '\n');
      entry.attestation = att;
    }
    const why = skipped.get(index);
    if (why !== undefined) entry.attestationSkipped = why;
    entries.push(entry);
  }
  const ordered = named.map((n) => n.report);
  files.set('bulwark.sarif', renderMergedSarif(named));
  files.set('summary.md', renderSummaryMarkdown(options.verdict, ordered, { generatedAt }));
  files.set('summary.html', renderSummaryHtml(options.verdict, ordered, { generatedAt }));
  files.set('verdict.json', JSON.stringify(options.verdict, null, 2) + '\n');
  const other: Record<string, string> = {};
  for (const f of ['bulwark.sarif', 'summary.md', 'summary.html', 'verdict.json']) other[f] = sha256(files.get(f) ?? '');
  const signers = Object.fromEntries(Object.entries(options.signers ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const manifest: EvidenceManifest = {
    schemaVersion: 1,
    tool: { name: 'bulwark', version: VERSION },
    generatedAt,
    verdict: options.verdict.verdict,
    reports: entries,
    signers,
    files: other,
  };
  files.set(EVIDENCE_MANIFEST, JSON.stringify(manifest, null, 2) + '\n');

  const suffix = randomBytes(6).toString('hex');
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${suffix}`);
  const old = join(dirname(target), `.${basename(target)}.old-${suffix}`);
  try {
    await mkdir(dirname(target), { recursive: true });
    await mkdir(join(tmp, 'reports'), { recursive: true });
    if (bundles.size > 0) await mkdir(join(tmp, 'attestations'));
    for (const [rel, text] of files) await writeFile(join(tmp, rel), text, { flag: 'wx' });
    if (state === 'ok') await rename(target, old);
    try {
      await rename(tmp, target);
    } catch (err) {
      if (state === 'ok') await rename(old, target);
      throw err;
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw new BulwarkError('OUTPUT_UNWRITABLE', `${dir}: cannot write the evidence directory (${(err as Error).message})`, { cause: err });
  }
  await rm(old, { recursive: true, force: true });
  return { dir: target, manifest };
}
