import { z } from 'zod';
import type { Report } from '../report/types.js';

/**
 * Zod schema of a Report (src/report/types.ts) as any analyser writes it. Reports come back from
 * disk (evidence directories) and from signed attestations, so they are untrusted input and are
 * validated before the policy reads them. Unknown fields are kept (`passthrough`) so that reports of
 * newer analysers (kind-specific fields) survive a round trip.
 */
const SeveritySchema = z.enum(['critical', 'high', 'medium', 'low', 'info']);
const ScalarSchema = z.union([z.string(), z.number(), z.boolean()]);

const FindingSchema = z
  .object({
    ruleId: z.string().min(1).max(200),
    severity: SeveritySchema,
    message: z.string().max(100_000),
    location: z
      .object({
        uri: z.string().max(8192),
        member: z.string().max(8192).optional(),
        offset: z.number().int().nonnegative().optional(),
        line: z.number().int().positive().optional(),
        pointer: z.string().max(8192).optional(),
      })
      .passthrough(),
    evidence: z.record(z.string(), ScalarSchema).optional(),
    fingerprint: z.string().min(1).max(200),
    suppressed: z.object({ reason: z.string().max(10_000) }).passthrough().optional(),
  })
  .passthrough();

const RuleMetaSchema = z
  .object({
    id: z.string().min(1).max(200),
    name: z.string().max(500),
    title: z.string().max(2000),
    severity: SeveritySchema,
    helpUri: z.string().max(4000),
    tags: z.array(z.string().max(200)).max(200),
  })
  .passthrough();

/** The schema of {@link Report}; see the module comment. */
export const ReportSchema = z
  .object({
    schemaVersion: z.literal(1),
    kind: z.string().min(1).max(100),
    tool: z.object({ name: z.literal('bulwark'), version: z.string().max(100) }).passthrough(),
    target: z.string().max(8192),
    subjects: z.array(z.object({ name: z.string().max(8192), digest: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }).passthrough() }).passthrough()).max(100_000),
    rules: z.array(RuleMetaSchema).max(100_000),
    findings: z.array(FindingSchema).max(10_000_000),
    metrics: z.record(z.string(), z.number()).optional(),
    errors: z.array(z.object({ uri: z.string().max(8192).optional(), code: z.string().max(200), message: z.string().max(100_000) }).passthrough()).max(1_000_000),
    skipped: z.array(z.object({ uri: z.string().max(8192), reason: z.string().max(10_000) }).passthrough()).max(1_000_000),
    complete: z.boolean(),
  })
  .passthrough();

/** Result of {@link parseReport}: the report, or where it is wrong. */
export type ReportParse = { ok: true; report: Report } | { ok: false; error: string };

/** Describes the first zod issue as `field.path: message`. */
export function describeZodError(err: z.ZodError): string {
  const i = err.issues[0];
  if (!i) return 'invalid';
  return `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`;
}

/** Validates an untrusted value as a {@link Report}; never throws for bad input. */
export function parseReport(value: unknown): ReportParse {
  const r = ReportSchema.safeParse(value);
  if (!r.success) return { ok: false, error: describeZodError(r.error) };
  return { ok: true, report: r.data as unknown as Report };
}
