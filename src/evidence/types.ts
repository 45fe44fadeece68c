import type { AttestationBundle } from '../attest/index.js';
import type { PolicyVerdict } from '../policy/index.js';
import type { Report } from '../report/types.js';

/** One report of an evidence directory as the manifest lists it. */
export interface EvidenceReportEntry {
  /** File stem: the kind, or `<kind>-<n>` for the n-th report of a kind (sorted by target). */
  name: string;
  kind: string;
  target: string;
  /** Relative path, `reports/<name>.json`. */
  file: string;
  sha256: string;
  /** Relative path of its signed attestation, `attestations/<name>.sigstore.json`, when signed. */
  attestation?: string;
  /** Why it was not attested when a signer was given (e.g. no subjects). */
  attestationSkipped?: string;
}

/** `evidence.json`: what the directory holds, with digests, written last-in-place by the atomic rename. */
export interface EvidenceManifest {
  schemaVersion: 1;
  tool: { name: 'bulwark'; version: string };
  generatedAt: string;
  verdict: PolicyVerdict['verdict'];
  reports: EvidenceReportEntry[];
  /** Signer name per verify report target (the project file's key-to-name mapping). */
  signers: Record<string, string>;
  /** Every other file (summary, SARIF, verdict) with its sha256. */
  files: Record<string, string>;
}

/** What an evidence directory loads back as. */
export interface LoadedEvidence {
  dir: string;
  manifest: EvidenceManifest;
  reports: Report[];
  /** Attestation bundle JSON text per report name. */
  attestations: Record<string, string>;
  verdict: PolicyVerdict | undefined;
  signers: Record<string, string>;
}

/** A pre-signed attestation to store (instead of, or as well as, signing here). */
export interface StoredAttestation {
  /** The report it attests, by index in `reports`. */
  reportIndex: number;
  bundle: AttestationBundle;
}
