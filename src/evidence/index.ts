/**
 * Evidence directories: the reports, their signed attestations, one merged SARIF log, Markdown and
 * HTML summaries and the verdict, written atomically and read back (validated) for `policy eval`.
 */
export { writeEvidence, EVIDENCE_MANIFEST, type WriteEvidenceOptions, type WriteEvidenceResult } from './write.js';
export { readEvidence, readEvidenceFile, parseEvidenceJson, verifyEvidenceAttestations, DEFAULT_READ_EVIDENCE_LIMITS, type ReadEvidenceLimits } from './read.js';
export { renderMergedSarif } from './sarif.js';
export { renderSummaryMarkdown, renderSummaryHtml, topFindings, DEFAULT_SUMMARY_MAX_ITEMS, type SummaryOptions } from './summary.js';
export type { EvidenceManifest, EvidenceReportEntry, LoadedEvidence, StoredAttestation } from './types.js';
