import { isBulwarkError } from '../errors.js';
import type { PolicyVerdict } from '../policy/index.js';
import type { Report } from '../report/types.js';
import { VERSION } from '../version.js';
import { CHECK_ANALYSERS, mergeReports, type Analyser } from './analysers.js';
import { loadProjectConfig, type ProjectConfig } from './config.js';
import { evidenceDirectorySink } from './evidence-sink.js';
import { policyGate } from './policy-gate.js';
import { portableReport } from './portable.js';

/** The gate's decision. `incomplete` is never a pass (fail closed). */
export type CheckVerdictValue = 'pass' | 'fail' | 'incomplete';

/** Why the gate decided as it did: which rule, about which evidence kind. */
export interface CheckReason {
  /** Policy rule id (or shortcut: `failOn`, `require`, `complete`). */
  rule: string;
  /** Evidence kind the reason is about (`scan`, `verify`, ...). */
  kind?: string;
  message: string;
}

/** The verdict with its reasons. */
export interface CheckVerdict {
  verdict: CheckVerdictValue;
  reasons: CheckReason[];
  /** The policy engine's full verdict (rules, warnings, allowed findings), when the policy engine decided. */
  policy?: PolicyVerdict;
}

/** How one analyser fared. */
export type CheckEntryStatus = 'pass' | 'findings' | 'incomplete' | 'error';

/** One row of the summary: the analyser, its report(s), and (when it threw) the error. */
export interface CheckEntry {
  kind: string;
  title: string;
  status: CheckEntryStatus;
  /** Every report the analyser produced (what the policy and the evidence directory get). */
  reports: Report[];
  /** The reports merged into one (what the summary row shows). */
  report: Report;
  /** Present when the analyser threw: its report is an incomplete placeholder carrying this error. */
  error?: { code: string; message: string };
}

/** Progress events (the CLI draws them on a TTY). */
export type CheckProgress =
  | { phase: 'start'; kind: string; title: string; index: number; total: number }
  | { phase: 'done'; kind: string; title: string; index: number; total: number; status: CheckEntryStatus }
  | { phase: 'policy' }
  | { phase: 'evidence'; dir: string };

/** What the gate is given: every report plus the signer names the project file maps trust to. */
export interface GateInput {
  config: ProjectConfig;
  reports: readonly Report[];
  /** Today, YYYY-MM-DD: allow-list expiry. */
  today: string;
}

/** Decides on the reports (the policy engine, injected so the runner stays testable). */
export interface PolicyGate {
  evaluate: (input: GateInput) => Promise<CheckVerdict>;
}

/** Writes the evidence directory. */
export interface EvidenceSink {
  write: (
    dir: string,
    input: { config: ProjectConfig; reports: readonly Report[]; verdict: CheckVerdict; clock: () => Date; today: string; signingPassword?: string | undefined },
  ) => Promise<void>;
}

/** Options of {@link runCheck}. */
export interface CheckOptions {
  /** The project file (`bulwark.yaml`). */
  configPath: string;
  /**
   * The project file already loaded by {@link loadProjectConfig} (the CLI reads it first, for
   * `signing.passwordEnv`); when given, `configPath` is not read again.
   */
  config?: ProjectConfig | undefined;
  /** Overrides the project file's `evidence` directory. */
  evidenceDir?: string | undefined;
  /** Injected clock (evidence timestamps, allow-list expiry); default: the system clock. */
  clock?: (() => Date) | undefined;
  /** Today, YYYY-MM-DD, for allow-list expiry; default: the clock's date (UTC). */
  today?: string | undefined;
  onProgress?: ((p: CheckProgress) => void) | undefined;
  /** The password of `signing.key` (the CLI reads it from the environment variable the file names). */
  signingPassword?: string | undefined;
  signal?: AbortSignal | undefined;
  /** The analyser table; default {@link CHECK_ANALYSERS}. */
  analysers?: readonly Analyser[] | undefined;
  /** Default: the policy engine over the project's policy. */
  gate?: PolicyGate | undefined;
  /** Default: the evidence directory writer (src/evidence writeEvidence). */
  evidence?: EvidenceSink | undefined;
}

/** Defaults of {@link runCheck}. */
export const DEFAULT_CHECK_OPTIONS = Object.freeze({
  clock: (): Date => new Date(),
  analysers: CHECK_ANALYSERS,
});

/** The outcome of a check run. */
export interface CheckResult {
  config: ProjectConfig;
  entries: CheckEntry[];
  verdict: CheckVerdict;
  /** Where the evidence was written (absolute). */
  evidenceDir: string;
}

/** The placeholder report of an analyser that threw: incomplete, carrying the error, never a pass. */
export function failedAnalyserReport(kind: string, target: string, err: unknown): Report {
  const code = isBulwarkError(err) ? err.code : 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  return {
    schemaVersion: 1,
    kind,
    tool: { name: 'bulwark', version: VERSION },
    target,
    subjects: [],
    rules: [],
    findings: [],
    errors: [{ code, message }],
    skipped: [],
    complete: false,
  };
}

function statusOf(report: Report): CheckEntryStatus {
  if (report.findings.some((f) => f.suppressed === undefined)) return 'findings';
  return report.complete ? 'pass' : 'incomplete';
}

/** `YYYY-MM-DD` of a date in UTC. */
function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * `bulwark check` as a library call: load the project file, run every configured analyser (one at a
 * time: each is already parallel inside and the CI runner has few cores), turn failures into
 * incomplete evidence, evaluate the policy, write the evidence directory.
 */
export async function runCheck(options: CheckOptions): Promise<CheckResult> {
  const clock = options.clock ?? DEFAULT_CHECK_OPTIONS.clock;
  const analysers = options.analysers ?? DEFAULT_CHECK_OPTIONS.analysers;
  const config = options.config ?? (await loadProjectConfig(options.configPath));
  const today = options.today ?? isoDay(clock());
  const active = analysers.filter((a) => a.configured(config));
  const entries: CheckEntry[] = [];
  for (const [index, a] of active.entries()) {
    options.onProgress?.({ phase: 'start', kind: a.kind, title: a.title, index, total: active.length });
    let entry: CheckEntry;
    try {
      const out = await a.run(config, { today, signal: options.signal });
      const reports = (Array.isArray(out) ? out : [out]).map((r) => portableReport(r, config.root));
      const report = mergeReports(a.kind, '.', reports);
      entry = { kind: a.kind, title: a.title, status: reports.length === 0 ? 'incomplete' : statusOf(report), reports, report };
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const report = portableReport(failedAnalyserReport(a.kind, '.', err), config.root);
      const first = report.errors[0] ?? { code: 'INTERNAL', message: String(err) };
      entry = { kind: a.kind, title: a.title, status: 'error', reports: [report], report, error: { code: first.code, message: first.message } };
    }
    entries.push(entry);
    options.onProgress?.({ phase: 'done', kind: a.kind, title: a.title, index, total: active.length, status: entry.status });
  }
  const reports = entries.flatMap((e) => e.reports);
  options.onProgress?.({ phase: 'policy' });
  const gate = options.gate ?? policyGate;
  let verdict: CheckVerdict;
  try {
    verdict = await gate.evaluate({ config, reports, today });
  } catch (err) {
    // A policy that cannot be read or evaluated is never a pass; a bad policy file is the user's
    // mistake and surfaces as such (CONFIG_INVALID / FILE_NOT_FOUND -> exit 2).
    if (isBulwarkError(err) && (err.code === 'CONFIG_INVALID' || err.code === 'FILE_NOT_FOUND')) throw err;
    verdict = { verdict: 'incomplete', reasons: [{ rule: 'policy', message: `the policy could not be evaluated: ${(err as Error).message}` }] };
  }
  const evidenceDir = options.evidenceDir ?? config.evidence;
  options.onProgress?.({ phase: 'evidence', dir: evidenceDir });
  await (options.evidence ?? evidenceDirectorySink).write(evidenceDir, { config, reports, verdict, clock, today, signingPassword: options.signingPassword });
  return { config, entries, verdict, evidenceDir };
}
