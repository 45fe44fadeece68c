import { readFile } from 'node:fs/promises';
import { buildBom } from '../bom/index.js';
import { loadSuite, validateDataset } from '../data/index.js';
import { auditDependencies } from '../deps/index.js';
import { driftReport } from '../drift/index.js';
import { BulwarkError } from '../errors.js';
import { compareFindings } from '../report/order.js';
import type { Report, RuleMeta } from '../report/types.js';
import { scan } from '../scan/index.js';
import { verifyModel, type TrustSpec } from '../sign/index.js';
import { VERSION } from '../version.js';
import type { ProjectConfig, ResolvedSigner } from './config.js';

/** What every analyser gets besides the project: the date (suppression expiry) and cancellation. */
export interface AnalyserContext {
  /** Today, YYYY-MM-DD (from the injected clock). */
  today: string;
  signal?: AbortSignal | undefined;
}

/**
 * One stage of the pipeline: a report kind and how to produce its report from the project file.
 * The runner is this table, so a new analyser is one entry (ARCHITECTURE.md: explicit lists, no
 * registration by import side effect).
 */
export interface Analyser {
  /** The report kind it produces (`scan`, `verify`, `data`, `drift`, `deps`, `bom`). */
  kind: string;
  /** What the progress line and the summary call it. */
  title: string;
  /** True when the project file configures this analyser. */
  configured: (config: ProjectConfig) => boolean;
  /** One report, or one per subject where the policy tells them apart (a `verify` report per model). */
  run: (config: ProjectConfig, ctx: AnalyserContext) => Promise<Report | Report[]>;
}

async function readTrustFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new BulwarkError('FILE_NOT_FOUND', `${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

async function trustOf(signer: ResolvedSigner): Promise<TrustSpec> {
  switch (signer.kind) {
    case 'key':
      return { kind: 'key', publicKey: await readTrustFile(signer.publicKey, `signer ${signer.name}: public key`) };
    case 'certificate':
      return { kind: 'certificate', roots: await readTrustFile(signer.certificateRoot, `signer ${signer.name}: certificate root`) };
    case 'sigstore':
      return {
        kind: 'sigstore',
        identity: signer.identity,
        issuer: signer.issuer,
        trustedRoot: signer.trustedRoot !== undefined ? await readTrustFile(signer.trustedRoot, `signer ${signer.name}: trusted root`) : undefined,
      };
    default: {
      const never: never = signer;
      throw new BulwarkError('INTERNAL', `unknown signer kind ${String((never as { kind: unknown }).kind)}`);
    }
  }
}

/**
 * Merges reports of one kind (one per model, one per lockfile) into one, as the evidence directory
 * holds one report per kind: subjects, findings, errors and skips are concatenated (findings in the
 * one deterministic order), rules deduplicated by id, metrics summed, complete only if all are.
 */
export function mergeReports(kind: string, target: string, reports: readonly Report[]): Report {
  const [only] = reports;
  if (reports.length === 1 && only !== undefined) return only;
  const rules = new Map<string, RuleMeta>();
  const metrics: Record<string, number> = {};
  for (const r of reports) {
    for (const rule of r.rules) if (!rules.has(rule.id)) rules.set(rule.id, rule);
    for (const [k, v] of Object.entries(r.metrics ?? {})) metrics[k] = (metrics[k] ?? 0) + v;
  }
  return {
    schemaVersion: 1,
    kind,
    tool: { name: 'bulwark', version: VERSION },
    target,
    subjects: reports.flatMap((r) => r.subjects),
    rules: [...rules.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    findings: reports.flatMap((r) => r.findings).sort(compareFindings),
    ...(Object.keys(metrics).length > 0 ? { metrics } : {}),
    errors: reports.flatMap((r) => r.errors),
    skipped: reports.flatMap((r) => r.skipped),
    complete: reports.every((r) => r.complete),
  };
}

/** Scans every model path (the subjects carry each file's digest). */
const scanAnalyser: Analyser = {
  kind: 'scan',
  title: 'model scan',
  configured: (c) => c.models.length > 0,
  run: (c, ctx) => scan({ paths: c.models.map((m) => m.path), digest: true, today: ctx.today, ...(ctx.signal ? { signal: ctx.signal } : {}) }),
};

/**
 * Verifies each model that names a signer against its OMS signature: one report per model, whose
 * target the policy maps to the configured signer name. A model without a signer is not verified:
 * its report says so as an error, so a policy requiring signatures fails closed.
 */
const verifyAnalyser: Analyser = {
  kind: 'verify',
  title: 'signature',
  configured: (c) => c.models.length > 0,
  run: async (c, ctx) => {
    const reports: Report[] = [];
    for (const m of c.models) {
      if (m.signer === undefined) {
        reports.push({
          schemaVersion: 1,
          kind: 'verify',
          tool: { name: 'bulwark', version: VERSION },
          target: m.path,
          subjects: [],
          rules: [],
          findings: [],
          errors: [{ uri: m.path, code: 'CONFIG_INVALID', message: `${m.path}: no signer configured in the project file, so its signature was not verified` }],
          skipped: [],
          complete: false,
        });
        continue;
      }
      reports.push(await verifyModel({ modelPath: m.path, signaturePath: m.signature, trust: await trustOf(m.signer), signal: ctx.signal }));
    }
    return reports;
  },
};

/** Validates the training data: PII, injection, the expectation suite, poisoning with a label column. */
const dataAnalyser: Analyser = {
  kind: 'data',
  title: 'training data',
  configured: (c) => c.datasets.training !== undefined,
  run: async (c) => {
    const t = c.datasets.training;
    if (t === undefined) throw new BulwarkError('INTERNAL', 'the data analyser ran without training data');
    return validateDataset({ path: t.path, ...(t.suite !== undefined ? { suite: await loadSuite(t.suite) } : {}), ...(t.label !== undefined ? { label: t.label } : {}) });
  },
};

/** Reference vs current drift (columns, prediction and target as configured). */
const driftAnalyser: Analyser = {
  kind: 'drift',
  title: 'drift',
  configured: (c) => c.datasets.reference !== undefined && c.datasets.current !== undefined,
  run: (c) => {
    const d = c.datasets;
    if (d.reference === undefined || d.current === undefined) throw new BulwarkError('INTERNAL', 'the drift analyser ran without reference and current data');
    return driftReport({ reference: d.reference, current: d.current, columns: d.columns, prediction: d.prediction, target: d.target });
  },
};

/**
 * ML-BOM (CycloneDX 1.6) of the whole project directory: models, datasets, libraries. Reproducible
 * (content-derived serial, no timestamp) so the evidence of an unchanged project is unchanged.
 */
const bomAnalyser: Analyser = {
  kind: 'bom',
  title: 'ML-BOM',
  configured: (c) => c.bom,
  run: async (c, ctx) => (await buildBom({ path: c.root, format: 'cyclonedx', reproducible: true, clock: null, ...(ctx.signal ? { signal: ctx.signal } : {}) })).report,
};

/**
 * The dependency audit: every configured lockfile against the project's OSV database (one report;
 * each lockfile is a subject by digest, so the report can be attested).
 */
const depsAnalyser: Analyser = {
  kind: 'deps',
  title: 'dependencies',
  configured: (c) => c.lockfiles !== undefined && c.lockfiles.length > 0,
  run: (c, ctx) => {
    if (c.lockfiles === undefined || c.osvDb === undefined) throw new BulwarkError('INTERNAL', 'the dependency audit ran without lockfiles and an OSV database');
    return auditDependencies({ path: c.lockfiles, osvDb: c.osvDb, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  },
};

/** Every analyser `bulwark check` runs, in order (one table: ARCHITECTURE.md, explicit lists). */
export const CHECK_ANALYSERS: readonly Analyser[] = [
  scanAnalyser,
  verifyAnalyser,
  dataAnalyser,
  driftAnalyser,
  depsAnalyser,
  bomAnalyser,
];
