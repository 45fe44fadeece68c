import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BulwarkError } from '../errors.js';

const limitNumber = z.number().int().positive();

/** The scan configuration file (JSON or YAML; never code). */
export const ScanConfigSchema = z
  .object({
    allow: z.array(z.string().min(1)).optional(),
    deny: z.array(z.string().min(1)).optional(),
    failOn: z.enum(['critical', 'high', 'medium', 'low', 'info', 'none']).optional(),
    suppress: z
      .array(
        z
          .object({
            rule: z.string().min(1),
            fingerprint: z.string().optional(),
            uri: z.string().optional(),
            global: z.string().optional(),
            reason: z.string().min(1),
            expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD').optional(),
          })
          .strict(),
      )
      .optional(),
    limits: z
      .object({
        maxPickleBytes: limitNumber,
        maxOpcodes: limitNumber,
        maxMemo: limitNumber,
        maxDepth: limitNumber,
        maxStackItems: limitNumber,
        maxStreams: limitNumber,
        maxArchiveEntries: limitNumber,
        maxMemberBytes: limitNumber,
        maxTotalInflatedBytes: limitNumber,
        maxCompressionRatio: limitNumber,
        maxNesting: limitNumber,
        timeoutMs: limitNumber,
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict();

/** A validated scan configuration. */
export type ScanConfig = z.infer<typeof ScanConfigSchema>;

/** Validates an already-parsed config value; `file` names it in errors. */
export function parseScanConfig(value: unknown, file: string): ScanConfig {
  const r = ScanConfigSchema.safeParse(value ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`).join('; ');
    throw new BulwarkError('CONFIG_INVALID', `${file}: ${issues}`);
  }
  return r.data;
}

/** Reads and validates a JSON or YAML config file. */
export async function loadScanConfig(file: string): Promise<ScanConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new BulwarkError('FILE_NOT_FOUND', `${file}: cannot read the config file (${(err as Error).message})`, { cause: err });
  }
  let value: unknown;
  try {
    // YAML 1.2 core schema is a superset of JSON and builds plain data only: no tags run code.
    value = parseYaml(text, { schema: 'core', maxAliasCount: 100 });
  } catch (err) {
    const e = err as Error & { linePos?: { line: number; col: number }[] };
    const pos = e.linePos?.[0];
    const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    throw new BulwarkError('CONFIG_INVALID', `${file}: not valid JSON or YAML${at}: ${e.message.split('\n')[0] ?? ''}`, { cause: err });
  }
  return parseScanConfig(value, file);
}
