import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BulwarkError } from '../errors.js';

/** The file name `bulwark check` and `bulwark init` use when none is given. */
export const DEFAULT_PROJECT_FILE = 'bulwark.yaml';

/** Evidence directory (relative to the project file) when neither the file nor the caller names one. */
export const DEFAULT_EVIDENCE_DIR = 'bulwark-evidence';

const relPath = z.string().min(1, 'a path (relative to the project file)');

/**
 * Whom a model's signature must come from. Exactly one trust: a public key, certificate roots, or a
 * Sigstore keyless identity + issuer. `name` is the signer's name the policy sees
 * (`signature.signer == "ml-release"`): the policy speaks of people and roles, not key files.
 */
const SignerSchema = z
  .object({
    name: z.string().min(1, 'the signer name the policy refers to'),
    publicKey: relPath.optional(),
    certificateRoot: relPath.optional(),
    identity: z.string().min(1).optional(),
    issuer: z.string().min(1).optional(),
    trustedRoot: relPath.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const modes = [s.publicKey !== undefined, s.certificateRoot !== undefined, s.identity !== undefined || s.issuer !== undefined].filter(Boolean).length;
    if (modes !== 1) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'give exactly one of publicKey, certificateRoot, or identity + issuer' });
    if ((s.identity === undefined) !== (s.issuer === undefined)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'keyless trust needs both identity and issuer' });
  });

const ModelSchema = z
  .object({
    path: relPath,
    signature: relPath.optional(),
    signer: SignerSchema.optional(),
  })
  .strict();

const TrainingSchema = z
  .object({
    path: relPath,
    label: z.string().min(1).optional(),
    suite: relPath.optional(),
  })
  .strict();

const DatasetsSchema = z
  .object({
    training: z.union([relPath.transform((path) => ({ path })), TrainingSchema]).optional(),
    reference: relPath.optional(),
    current: relPath.optional(),
    columns: z.array(z.string().min(1)).optional(),
    prediction: z.string().min(1).optional(),
    target: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if ((d.reference === undefined) !== (d.current === undefined)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [d.reference === undefined ? 'reference' : 'current'], message: 'drift needs both reference and current' });
    }
  });

/** The `bulwark.yaml` project file, as written (paths relative to the file). */
export const ProjectConfigSchema = z
  .object({
    version: z.literal(1),
    models: z.array(ModelSchema).default([]),
    datasets: DatasetsSchema.optional(),
    lockfiles: z.union([relPath.transform((p) => [p]), z.array(relPath)]).optional(),
    osvDb: relPath.optional(),
    bom: z.boolean().default(false),
    policy: relPath.optional(),
    evidence: relPath.optional(),
    signing: z
      .object({
        key: relPath,
        passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.lockfiles !== undefined && c.osvDb === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['osvDb'], message: 'the dependency audit needs an OSV database directory (osvDb)' });
  });

/** The project file as written. */
export type ProjectConfigInput = z.input<typeof ProjectConfigSchema>;

/** A model's resolved trust. */
export type ResolvedSigner =
  | { name: string; kind: 'key'; publicKey: string }
  | { name: string; kind: 'certificate'; certificateRoot: string }
  | { name: string; kind: 'sigstore'; identity: string; issuer: string; trustedRoot?: string };

/** A model to scan and (with a signer) verify; absolute paths. */
export interface ResolvedModel {
  path: string;
  signature?: string;
  signer?: ResolvedSigner;
}

/** A validated project file with every path made absolute (relative to the file's directory). */
export interface ProjectConfig {
  /** The project file itself, absolute. */
  file: string;
  /** Its directory: the project root. */
  root: string;
  models: ResolvedModel[];
  datasets: {
    training?: { path: string; label?: string; suite?: string };
    reference?: string;
    current?: string;
    columns?: string[];
    prediction?: string;
    target?: string;
  };
  lockfiles?: string[];
  osvDb?: string;
  bom: boolean;
  /** Absent: the starter policy shipped with the tool. */
  policy?: string;
  evidence: string;
  signing?: { key: string; passwordEnv?: string };
}

function formatIssues(file: string, error: z.ZodError): string {
  return error.issues.map((i) => `${file}: ${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`).join('; ');
}

/** Validates a parsed project file and resolves its paths against `file`'s directory. */
export function parseProjectConfig(value: unknown, file: string): ProjectConfig {
  const r = ProjectConfigSchema.safeParse(value ?? {});
  if (!r.success) throw new BulwarkError('CONFIG_INVALID', formatIssues(file, r.error));
  const c = r.data;
  const absFile = resolve(file);
  const root = dirname(absFile);
  const at = (p: string): string => resolve(root, p);
  const models: ResolvedModel[] = c.models.map((m) => {
    const out: ResolvedModel = { path: at(m.path) };
    if (m.signature !== undefined) out.signature = at(m.signature);
    const s = m.signer;
    if (s !== undefined) {
      if (s.publicKey !== undefined) out.signer = { name: s.name, kind: 'key', publicKey: at(s.publicKey) };
      else if (s.certificateRoot !== undefined) out.signer = { name: s.name, kind: 'certificate', certificateRoot: at(s.certificateRoot) };
      else if (s.identity !== undefined && s.issuer !== undefined) {
        out.signer = { name: s.name, kind: 'sigstore', identity: s.identity, issuer: s.issuer, ...(s.trustedRoot !== undefined ? { trustedRoot: at(s.trustedRoot) } : {}) };
      }
    }
    return out;
  });
  const d = c.datasets;
  const datasets: ProjectConfig['datasets'] = {};
  if (d?.training !== undefined) {
    const t = d.training as { path: string; label?: string; suite?: string };
    datasets.training = { path: at(t.path), ...(t.label !== undefined ? { label: t.label } : {}), ...(t.suite !== undefined ? { suite: at(t.suite) } : {}) };
  }
  if (d?.reference !== undefined) datasets.reference = at(d.reference);
  if (d?.current !== undefined) datasets.current = at(d.current);
  if (d?.columns !== undefined) datasets.columns = d.columns;
  if (d?.prediction !== undefined) datasets.prediction = d.prediction;
  if (d?.target !== undefined) datasets.target = d.target;
  const out: ProjectConfig = { file: absFile, root, models, datasets, bom: c.bom, evidence: at(c.evidence ?? DEFAULT_EVIDENCE_DIR) };
  if (c.lockfiles !== undefined) out.lockfiles = c.lockfiles.map(at);
  if (c.osvDb !== undefined) out.osvDb = at(c.osvDb);
  if (c.policy !== undefined) out.policy = at(c.policy);
  if (c.signing !== undefined) out.signing = { key: at(c.signing.key), ...(c.signing.passwordEnv !== undefined ? { passwordEnv: c.signing.passwordEnv } : {}) };
  return out;
}

/** Reads, parses (YAML 1.2 core schema: plain data, no tags that run code) and validates a project file. */
export async function loadProjectConfig(path: string): Promise<ProjectConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new BulwarkError('FILE_NOT_FOUND', `${path}: cannot read the project file (${(err as Error).message}); create one with \`bulwark init\``, { cause: err });
  }
  let value: unknown;
  try {
    value = parseYaml(text, { schema: 'core', maxAliasCount: 100 });
  } catch (err) {
    const e = err as Error & { linePos?: { line: number; col: number }[] };
    const pos = e.linePos?.[0];
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    throw new BulwarkError('CONFIG_INVALID', `${path}: not valid YAML${where}: ${e.message.split('\n')[0] ?? ''}`, { cause: err });
  }
  return parseProjectConfig(value, path);
}
