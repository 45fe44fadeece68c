/**
 * The parts of the OSV schema (https://ossf.github.io/osv-schema/) the audit uses, validated with
 * zod. Unknown fields are kept (records carry much more than we read) but never interpreted.
 */
import { z } from 'zod';

/** One range event: exactly one of introduced, fixed, last_affected, limit (OSV schema, `affected[].ranges[].events`). */
export type OsvEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

// One object with four optional keys and an exactly-one check, rather than a union of four strict
// objects: the same rule, but zod tries one shape instead of up to four (validation is the
// audit's largest cost after reading the records).
const event = z
  .strictObject({
    introduced: z.string().min(1).optional(),
    fixed: z.string().min(1).optional(),
    last_affected: z.string().min(1).optional(),
    limit: z.string().min(1).optional(),
  })
  .refine((e) => Object.keys(e).length === 1, 'expected exactly one of introduced, fixed, last_affected, limit')
  .transform((e) => e as OsvEvent);

const range = z.looseObject({
  type: z.enum(['ECOSYSTEM', 'SEMVER', 'GIT']),
  repo: z.string().optional(),
  events: z.array(event).min(1),
});

/** One `affected[].ranges[]` entry. */
export type OsvRange = z.infer<typeof range>;

const severity = z.looseObject({ type: z.string(), score: z.string() });

const affected = z.looseObject({
  package: z
    .looseObject({
      ecosystem: z.string().min(1),
      name: z.string().min(1),
      purl: z.string().optional(),
    })
    .optional(),
  severity: z.array(severity).optional(),
  ranges: z.array(range).optional(),
  versions: z.array(z.string()).optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
  ecosystem_specific: z.record(z.string(), z.unknown()).optional(),
});

/** One `affected[]` entry. */
export type OsvAffected = z.infer<typeof affected>;

/** An OSV record, as far as Bulwark reads it. */
export const osvRecordSchema = z.looseObject({
  schema_version: z.string().optional(),
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'expected an OSV id (letters, digits, `-`, `.`, `_`, `:`)').max(200),
  modified: z.string(),
  published: z.string().optional(),
  withdrawn: z.string().optional(),
  aliases: z.array(z.string()).optional(),
  related: z.array(z.string()).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: z.array(severity).optional(),
  affected: z.array(affected).optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});

/** A validated OSV record. */
export type OsvRecord = z.infer<typeof osvRecordSchema>;
