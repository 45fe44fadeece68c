import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { z } from 'zod';
import { BulwarkError, isBulwarkError } from '../errors.js';
import { finaliseFindings } from '../report/fingerprint.js';
import type { FindingDraft, Report, ReportError, Subject } from '../report/types.js';
import { VERSION } from '../version.js';
import { collectFacts } from './collect.js';
import { mergedLibraries, parametersOf, renderCycloneDx } from './cyclonedx.js';
import { readDependenciesDetailed } from '../deps/index.js';
import { BOM_RULES, RULE_DATASET_WITHOUT_DIGEST, RULE_MODEL_WITHOUT_LICENCE, RULE_UNPINNED_LIBRARY } from './rules.js';
import { renderSpdx } from './spdx.js';
import { DEFAULT_BOM_OPTIONS, type BomFacts, type BomOptions, type BomResult, type DatasetFacts } from './types.js';

/** The part of a `bulwark data fingerprint` report (kind 'data-fingerprint') the BOM reads. */
const FingerprintReportSchema = z.object({
  kind: z.string(),
  target: z.string().optional(),
  subjects: z.array(z.object({ name: z.string(), digest: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }) })).min(1),
  metrics: z.record(z.string(), z.number()).optional(),
  // src/data/privacy DatasetFingerprint: scalar fields (version, format, fileSha256, contentSha256,
  // schemaSha256, rows) are recorded; per-column statistics are left out of the BOM.
  fingerprint: z.record(z.string(), z.unknown()).optional(),
});

/** Reads fingerprint reports; each names its dataset by file digest (its subject). */
async function readFingerprints(files: readonly string[]): Promise<{ sha256: string; name: string; fields: Record<string, string | number> }[]> {
  const out = [];
  for (const f of files) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(f, 'utf8'));
    } catch (err) {
      throw new BulwarkError((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'PARSE_ERROR', `${f}: cannot read the dataset fingerprint report (${(err as Error).message})`, { cause: err });
    }
    const parsed = FingerprintReportSchema.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new BulwarkError('PARSE_ERROR', `${f}: not a dataset fingerprint report: field '${i?.path.join('.') ?? ''}' ${i?.message ?? ''} (expected the JSON of \`bulwark data fingerprint\`)`);
    }
    if (parsed.data.kind !== 'data-fingerprint') throw new BulwarkError('PARSE_ERROR', `${f}: field 'kind' is '${parsed.data.kind}', expected 'data-fingerprint'`);
    const subject = parsed.data.subjects[0]!;
    const fields: Record<string, string | number> = { ...(parsed.data.metrics ?? {}) };
    for (const [k, v] of Object.entries(parsed.data.fingerprint ?? {})) if (typeof v === 'string' || typeof v === 'number') fields[k] = v;
    out.push({ sha256: subject.digest.sha256, name: parsed.data.target ?? subject.name, fields });
  }
  return out;
}

/**
 * Builds the ML-BOM of a model directory, a single weights file or a project: models (hashed as
 * OMS manifests, weights parsed for format, parameters and dtypes, model card and config.json
 * read), datasets (local files by SHA-256, Hub datasets named by the card, fingerprints when
 * given) and libraries (lockfiles). Returns the CycloneDX 1.6 or SPDX 3.0.1 document and a
 * report of kind 'bom' whose findings are what the BOM could not determine (BOM_RULES).
 */
export async function buildBom(options: BomOptions): Promise<BomResult> {
  const clock = options.clock === undefined ? DEFAULT_BOM_OPTIONS.clock : options.clock;
  const reproducible = options.reproducible ?? DEFAULT_BOM_OPTIONS.reproducible;
  const root = resolve(options.path);
  const fingerprints = await readFingerprints(options.datasetFingerprints ?? []);
  const collected = await collectFacts(options.path, options.signal);
  const errors: ReportError[] = [...collected.errors];
  let lockfiles: BomFacts['lockfiles'] = [];
  try {
    if (options.readDependencies) lockfiles = await options.readDependencies(root, options.signal);
    else if ((await stat(root)).isDirectory()) {
      // The dependency audit's parsers (src/deps): the BOM and `bulwark deps` name packages alike.
      const detailed = await readDependenciesDetailed(root, options.signal);
      lockfiles = detailed.lockfiles;
      for (const f of detailed.failures) errors.push({ uri: f.file, code: f.error.code, message: f.error.message });
    }
  } catch (err) {
    if (isBulwarkError(err, 'ABORTED')) throw err;
    const code: string = isBulwarkError(err) ? err.code : 'FILE_UNREADABLE';
    errors.push({ code, message: `${options.path}: lockfiles could not be read (${(err as Error).message})` });
  }
  for (const lf of lockfiles) for (const p of lf.problems) errors.push({ uri: lf.file, code: 'PARSE_ERROR', message: p.line !== undefined ? `${lf.file}:${p.line}: ${p.message}` : `${lf.file}: ${p.message}` });

  const datasets: DatasetFacts[] = collected.datasets.map((d) => {
    const fp = fingerprints.find((f) => f.sha256 === d.sha256);
    return fp ? { ...d, fingerprint: fp.fields } : d;
  });
  const local = new Set(datasets.map((d) => d.name));
  for (const m of collected.models) {
    for (const hub of m.card?.datasets ?? []) {
      if (local.has(hub)) continue;
      local.add(hub);
      const fp = fingerprints.find((f) => f.name === hub || basename(f.name) === hub);
      datasets.push({ name: hub, local: false, role: 'training', ...(fp ? { sha256: fp.sha256, fingerprint: fp.fields } : {}) });
    }
  }
  const facts: BomFacts = { rootName: basename(root), models: collected.models, datasets, lockfiles, toolVersion: VERSION };

  const drafts: FindingDraft[] = [];
  for (const m of facts.models) {
    if (!m.card?.license) {
      drafts.push({
        ruleId: RULE_MODEL_WITHOUT_LICENCE.id,
        message: m.card ? `Model ${m.path}: its model card (README.md) has no \`license\` in the front matter.` : `Model ${m.path}: no model card (README.md) declares its licence.`,
        location: { uri: m.singleFile ? m.path : m.path === '.' ? 'README.md' : `${m.path}/README.md` },
        key: m.path,
      });
    }
  }
  for (const d of datasets) {
    if (!d.sha256) {
      drafts.push({
        ruleId: RULE_DATASET_WITHOUT_DIGEST.id,
        message: `Dataset ${d.name} is named by the model card but has no local copy or fingerprint: the BOM cannot pin which data was used. Pass its fingerprint with --dataset-fingerprint.`,
        location: { uri: d.name },
        key: d.name,
      });
    }
  }
  const libraries = mergedLibraries(facts);
  for (const d of libraries) {
    if (d.version === undefined) {
      drafts.push({
        ruleId: RULE_UNPINNED_LIBRARY.id,
        message: `${d.name} is declared as '${d.specifier ?? '(any version)'}' in ${d.source.file} and no lockfile pins it: the BOM cannot say which version is installed.`,
        location: { uri: d.source.file, ...(d.source.line !== undefined ? { pointer: `line ${d.source.line}` } : {}) },
        evidence: { package: d.name, specifier: d.specifier ?? '' },
        key: d.normalizedName,
      });
    }
  }
  const severityOf = (id: string): Report['findings'][number]['severity'] => BOM_RULES.find((r) => r.id === id)?.severity ?? 'low';
  const findings = finaliseFindings(drafts, severityOf);

  const subjects: Subject[] = [
    ...facts.models.map((m) => ({ name: m.name, digest: { sha256: m.rootDigest } })),
    ...datasets.filter((d) => d.local && d.sha256).map((d) => ({ name: d.name, digest: { sha256: d.sha256! } })),
  ];
  const timestamp = clock === null ? undefined : clock();
  const document = options.format === 'cyclonedx'
    ? renderCycloneDx(facts, { reproducible, ...(timestamp ? { timestamp } : {}) })
    : renderSpdx(facts, { reproducible, ...(timestamp ? { timestamp } : {}) });
  const report: Report = {
    schemaVersion: 1,
    kind: 'bom',
    tool: { name: 'bulwark', version: VERSION },
    target: options.path,
    subjects,
    rules: [...BOM_RULES],
    findings,
    metrics: {
      components: facts.models.length + datasets.length + libraries.length,
      models: facts.models.length,
      datasets: datasets.length,
      libraries: libraries.length,
      parameters: facts.models.reduce((n, m) => n + (parametersOf(m) ?? 0), 0),
      datasets_without_digest: datasets.filter((d) => !d.sha256).length,
      unpinned_libraries: libraries.filter((d) => d.version === undefined).length,
      models_without_licence: facts.models.filter((m) => !m.card?.license).length,
    },
    errors,
    skipped: [],
    complete: errors.length === 0,
  };
  return { document, report };
}
