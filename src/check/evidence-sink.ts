import { readFile } from 'node:fs/promises';
import type { AttestationSigner } from '../attest/index.js';
import { BulwarkError } from '../errors.js';
import { writeEvidence } from '../evidence/index.js';
import type { PolicyReason, PolicyVerdict } from '../policy/index.js';
import type { ProjectConfig } from './config.js';
import { projectPath } from './portable.js';
import type { CheckVerdict, EvidenceSink } from './run-check.js';

/**
 * Signer name per model, keyed as the (project-relative) `verify` report targets are: the policy
 * reads `signature.signer`, a name from the project file, never a key file.
 */
export function signerNames(config: ProjectConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of config.models) if (m.signer !== undefined) out[projectPath(config.root, m.path)] = m.signer.name;
  return out;
}

/**
 * The verdict as the evidence directory stores it. The policy engine's own verdict when it
 * decided; otherwise (the policy could not be evaluated, or an injected gate decided) one built
 * from the check's reasons, so `verdict.json` always says why and is never a silent pass.
 */
function policyVerdictOf(verdict: CheckVerdict, today: string): PolicyVerdict {
  if (verdict.policy !== undefined) return verdict.policy;
  const effect: PolicyReason['effect'] = verdict.verdict === 'pass' ? 'info' : verdict.verdict;
  return {
    schemaVersion: 1,
    verdict: verdict.verdict,
    policy: { source: '(not evaluated)', digest: '' },
    today,
    reasons: verdict.reasons.map((r) => ({ effect, code: 'rule-failed', message: r.message, rule: r.rule, ...(r.kind !== undefined ? { evidence: r.kind } : {}) })),
    rules: [],
    allowed: [],
    evidence: {},
  };
}

async function signerOf(config: ProjectConfig, password: string | undefined): Promise<AttestationSigner | undefined> {
  const s = config.signing;
  if (s === undefined) return undefined;
  let privateKey: Buffer;
  try {
    privateKey = await readFile(s.key);
  } catch (err) {
    throw new BulwarkError('FILE_NOT_FOUND', `${config.file}: signing.key ${s.key}: cannot read the signing key (${(err as Error).message})`, { cause: err });
  }
  return { privateKey, password };
}

/**
 * The evidence directory writer `bulwark check` uses by default (src/evidence writeEvidence):
 * reports (several of a kind are `verify`, `verify-2`, ... and never overwrite each other), their
 * signed in-toto attestations when the project file names `signing.key`, the merged SARIF log,
 * summary.md, summary.html, verdict.json and the manifest, replaced atomically as a whole.
 */
export const evidenceDirectorySink: EvidenceSink = {
  write: async (dir, { config, reports, verdict, clock, today, signingPassword }) => {
    const signer = await signerOf(config, signingPassword);
    await writeEvidence(dir, { reports, verdict: policyVerdictOf(verdict, today), clock, signer, signers: signerNames(config) });
  },
};
