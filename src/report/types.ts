/**
 * The core report model shared by every front-end (see ARCHITECTURE.md, "Core model").
 * These are plain JSON-serialisable objects: what the CLI prints is what the registry stores.
 */

/** Finding severity, most severe first. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** All severities, most severe first. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Static description of a rule. Ids are never reused. */
export interface RuleMeta {
  /** Stable id, `BW-<AREA>-<NNN>`. */
  id: string;
  /** Short slug, e.g. `pickle/unsafe-global`. */
  name: string;
  title: string;
  severity: Severity;
  helpUri: string;
  /** Control-framework tags: `cwe-502`, `owasp-ml06`, `atlas:AML.T0010`. */
  tags: string[];
}

/** Where a finding is. */
export interface Location {
  uri: string;
  /** Path inside an archive, `a.zip!inner.pt!archive/data.pkl` style chain joined with `!`. */
  member?: string;
  /** Byte offset within the member (or file). */
  offset?: number;
  /** 1-based line in a text file (a requirement line, a CSV row's line). */
  line?: number;
  /** JSON pointer or other structural pointer. */
  pointer?: string;
}

/** One judgement about a subject. */
export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  location: Location;
  evidence?: Record<string, string | number | boolean>;
  /** Stable across runs and machines; used for suppression and SARIF partialFingerprints. */
  fingerprint: string;
  suppressed?: { reason: string };
}

/** An artifact named by its digest. */
export interface Subject {
  name: string;
  digest: { sha256: string };
}

/** A tool-level problem: something that could not be analysed. */
export interface ReportError {
  uri?: string;
  code: string;
  message: string;
}

/** Something deliberately not analysed. */
export interface Skipped {
  uri: string;
  reason: string;
}

/** One file of the scanned tree: what it is, so later stages need not sniff it again. */
export interface InventoryEntry {
  path: string;
  /** Format detected from content (`pickle`, `zip`, `safetensors`, ..., `unknown`). */
  format: string;
  size: number;
  /** Present when the scan hashed files (`digest`). */
  sha256?: string;
}

/** The result of any Bulwark check. */
export interface Report {
  schemaVersion: 1;
  kind: 'scan' | 'verify' | 'data' | 'drift' | 'bom' | 'deps' | 'check' | (string & {});
  tool: { name: 'bulwark'; version: string };
  target: string;
  subjects: Subject[];
  rules: RuleMeta[];
  findings: Finding[];
  metrics?: Record<string, number>;
  errors: ReportError[];
  skipped: Skipped[];
  /** False when something could not be read or analysed (see `errors`). */
  complete: boolean;
  /** Scan reports: every top-level file with its detected format and size (and digest when hashed). */
  inventory?: InventoryEntry[];
}

/** A finding before its fingerprint and severity are filled in by the engine. */
export interface FindingDraft {
  ruleId: string;
  message: string;
  location: Location;
  evidence?: Record<string, string | number | boolean>;
  /** Overrides the rule's default severity (for rules whose severity depends on the facts). */
  severity?: Severity;
  /**
   * What makes this finding distinct from others of the same rule at the same location
   * (e.g. `os.system`). Part of the fingerprint; offsets are deliberately not.
   */
  key: string;
}
