import { lstat, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { BulwarkError } from '../errors.js';
import { createInflateBudget, openFileSource, resolveLimits, sha256File, type LimitOverrides, type Limits } from '../io/index.js';
import {
  compareFindings,
  finaliseFindings,
  type Finding,
  type FindingDraft,
  type InventoryEntry,
  type Report,
  type ReportError,
  type Severity,
  type Skipped,
  type Subject,
} from '../report/index.js';
import type { SiblingFileInfo } from '../formats/onnx/index.js';
import { BUILTIN_RULES, compileCallablePolicy, type AnyRule, type Facts, type RuleContext } from '../rules/index.js';
import { VERSION } from '../version.js';
import { analyseSource, recordError, type AnalysisCounters, type AnalysisEnv, type AnalysisSink, type LocatedFacts } from './analyse-source.js';
import { collectFiles, type ScanTarget } from './collect-files.js';
import { applySuppressions, type Suppression } from './suppress.js';

/** A progress event, one per finished top-level file. */
export interface ScanProgress {
  done: number;
  total: number;
  uri: string;
}

/** Options of {@link scan}. */
export interface ScanOptions {
  /** Files and directories to scan (directories recursively). */
  paths: readonly string[];
  /** Overrides of DEFAULT_LIMITS. */
  limits?: LimitOverrides;
  /** Extra allowed `module.name` patterns (never override a built-in deny). */
  allow?: readonly string[];
  /** Extra denied `module.name` patterns. */
  deny?: readonly string[];
  /** Findings to keep but mark as suppressed. */
  suppress?: readonly Suppression[];
  /** Hash every scanned file (SHA-256) into `subjects`. Off by default: it reads every byte. */
  digest?: boolean;
  /** Files analysed at once. */
  concurrency?: number;
  /** Cancels the scan (rejects with BulwarkError ABORTED). */
  signal?: AbortSignal;
  /** Called after each top-level file. */
  onProgress?: (p: ScanProgress) => void;
  /** The report's `target` (defaults to the paths joined with spaces). */
  target?: string;
  /** Today's date (YYYY-MM-DD) for suppression expiry; injected so the library has no clock. */
  today?: string;
}

/** Defaults applied once by {@link scan}. */
export const DEFAULT_SCAN_OPTIONS = Object.freeze({ concurrency: 2, digest: false });

function* applyRules(rules: readonly AnyRule[], located: LocatedFacts, ctx: RuleContext): Iterable<FindingDraft> {
  for (const rule of rules) {
    if (rule.appliesTo !== located.facts.kind) continue;
    // The union of rules is keyed by fact kind; the check above makes this call well-typed at run time.
    yield* (rule.check as (f: Facts, c: RuleContext) => Iterable<FindingDraft>)(located.facts, ctx);
  }
}

/** Rejects with BulwarkError('ABORTED') (as {@link ScanOptions.signal} promises) once the caller aborts. */
function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new BulwarkError('ABORTED', 'the scan was aborted', { cause: signal.reason });
}

interface FileResult {
  drafts: FindingDraft[];
  errors: ReportError[];
  skipped: Skipped[];
  counters: AnalysisCounters;
  subject?: Subject;
  inventory?: InventoryEntry;
  bytesRead: number;
  bytesTotal: number;
}

/** `name` joined to `dir`, or undefined when it is absolute or climbs out (names come from untrusted content). */
function siblingPath(dir: string, name: string): string | undefined {
  const norm = normalize(name);
  if (name.includes('\0') || isAbsolute(norm) || norm === '..' || norm.startsWith(`..${sep}`)) return undefined;
  return join(dir, norm);
}

/**
 * Size and link status of a file beside `file` (ONNX external data), never opening it. Names that
 * are absolute or climb out are refused; a symlink is reported, and `escapes` says whether its
 * real path leaves the model directory.
 */
export function siblingInfoLookup(file: string): (name: string) => Promise<SiblingFileInfo | undefined> {
  const dir = dirname(file);
  return async (name: string): Promise<SiblingFileInfo | undefined> => {
    const path = siblingPath(dir, name);
    if (path === undefined) return undefined;
    const link = await lstat(path).catch(() => undefined);
    if (!link) return undefined;
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const [realDir, realFile] = await Promise.all([realpath(dir), realpath(path)]);
    const escapes = !realFile.startsWith(realDir + sep);
    return { size: info.size, symlink: link.isSymbolicLink(), escapes };
  };
}

/**
 * A sibling lookup for `file`'s directory. Names come from untrusted content (auto_map, ONNX
 * external data), so anything absolute or climbing out of the directory is refused unseen.
 */
export function siblingLookup(file: string): (name: string) => Promise<boolean> {
  const dir = dirname(file);
  return async (name: string): Promise<boolean> => {
    const path = siblingPath(dir, name);
    if (path === undefined) return false;
    const info = await stat(path).catch(() => undefined);
    return info?.isFile() ?? false;
  };
}

async function scanOne(t: ScanTarget, opts: ScanOptions, limits: Limits, ctxBase: Pick<RuleContext, 'callables'>): Promise<FileResult> {
  const sink: AnalysisSink = {
    located: [],
    errors: [],
    skipped: [],
    counters: { pickleStreams: 0, pickleOpcodes: 0, archiveMembers: 0, membersAnalysed: 0 },
  };
  const signals = [AbortSignal.timeout(limits.timeoutMs)];
  if (opts.signal) signals.push(opts.signal);
  const signal = AbortSignal.any(signals);
  const result: FileResult = { drafts: [], errors: sink.errors, skipped: sink.skipped, counters: sink.counters, bytesRead: 0, bytesTotal: 0 };
  let src;
  try {
    src = await openFileSource(t.path, t.uri);
  } catch (err) {
    sink.errors.push({ uri: t.uri, code: 'FILE_UNREADABLE', message: `${t.uri}: cannot be opened (${(err as Error).message})` });
    return result;
  }
  const env: AnalysisEnv = { limits, signal, budget: createInflateBudget(limits), sink, siblingExists: siblingLookup(t.path), siblingInfo: siblingInfoLookup(t.path), filePath: t.path };
  try {
    await analyseSource(src, 0, env);
  } catch (err) {
    checkAborted(opts.signal);
    recordError(env, src, err);
  } finally {
    result.bytesRead = src.bytesRead;
    result.bytesTotal = src.size;
    await src.close();
  }
  for (const located of sink.located) {
    result.drafts.push(...applyRules(BUILTIN_RULES, located, { ...located.where, ...ctxBase }));
  }
  const top = sink.located.find((l) => l.facts.kind === 'file' && l.where.member === undefined);
  result.inventory = { path: t.uri, format: top?.facts.kind === 'file' ? top.facts.detected : 'unknown', size: src.size };
  if (opts.digest) {
    try {
      const sha256 = await sha256File(t.path, opts.signal);
      result.subject = { name: t.uri, digest: { sha256 } };
      result.inventory.sha256 = sha256;
      result.bytesRead += src.size;
    } catch (err) {
      checkAborted(opts.signal);
      sink.errors.push({ uri: t.uri, code: 'FILE_UNREADABLE', message: `${t.uri}: cannot be hashed (${(err as Error).message})` });
    }
  }
  return result;
}

/**
 * Scans model files and directories for code-execution payloads and unsafe content, without
 * loading or executing anything. Every file is sniffed by content, parsed into facts, and judged
 * by the built-in rules. Files that cannot be analysed become `errors` and make the report
 * incomplete; the scan goes on.
 */
export async function scan(options: ScanOptions): Promise<Report> {
  const opts = { ...DEFAULT_SCAN_OPTIONS, ...options };
  const limits: Limits = resolveLimits(opts.limits);
  const callables = compileCallablePolicy({ allow: opts.allow ?? [], deny: opts.deny ?? [] });
  const skipped: Skipped[] = [];
  const targets = await collectFiles(opts.paths, skipped);
  const results: FileResult[] = new Array<FileResult>(targets.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const i = next++;
      const t = targets[i];
      if (!t) continue;
      results[i] = await scanOne(t, opts, limits, { callables });
      done += 1;
      opts.onProgress?.({ done, total: targets.length, uri: t.uri });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, targets.length)) }, worker));

  const severityOf = new Map<string, Severity>(BUILTIN_RULES.map((r) => [r.meta.id, r.meta.severity]));
  const drafts = results.flatMap((r) => r.drafts);
  let findings: Finding[] = finaliseFindings(drafts, (id) => severityOf.get(id) ?? 'medium');
  findings = applySuppressions(findings, opts.suppress ?? [], opts.today).sort(compareFindings);
  const errors = results.flatMap((r) => r.errors);
  const totals = results.reduce(
    (a, r) => ({
      pickleStreams: a.pickleStreams + r.counters.pickleStreams,
      pickleOpcodes: a.pickleOpcodes + r.counters.pickleOpcodes,
      archiveMembers: a.archiveMembers + r.counters.archiveMembers,
      membersAnalysed: a.membersAnalysed + r.counters.membersAnalysed,
    }),
    { pickleStreams: 0, pickleOpcodes: 0, archiveMembers: 0, membersAnalysed: 0 },
  );
  return {
    schemaVersion: 1,
    kind: 'scan',
    tool: { name: 'bulwark', version: VERSION },
    target: opts.target ?? opts.paths.join(' '),
    subjects: results.flatMap((r) => (r.subject ? [r.subject] : [])),
    rules: BUILTIN_RULES.map((r) => r.meta),
    findings,
    metrics: {
      files_scanned: targets.length,
      archive_members: totals.archiveMembers,
      members_analysed: totals.membersAnalysed,
      pickle_streams: totals.pickleStreams,
      pickle_opcodes: totals.pickleOpcodes,
      findings_suppressed: findings.filter((f) => f.suppressed).length,
      bytes_total: results.reduce((a, r) => a + r.bytesTotal, 0),
      bytes_read: results.reduce((a, r) => a + r.bytesRead, 0),
    },
    errors,
    skipped: [...skipped, ...results.flatMap((r) => r.skipped)],
    complete: errors.length === 0,
    inventory: results.flatMap((r) => (r.inventory ? [r.inventory] : [])),
  };
}

