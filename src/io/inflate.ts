/**
 * Bounded decompression into memory, shared by the zip reader (raw deflate members) and the
 * compressed-file wrappers (gzip, zlib). Every call is held to three limits at once: the size of
 * one member, a budget shared by all members of one top-level file, and the compression ratio
 * (a bomb is a small input with a huge output). zlib's `maxOutputLength` stops the inflater as
 * soon as the output would pass the tightest of them, so a bomb never gets allocated.
 */
import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw } from 'node:zlib';

import { BulwarkError } from '../errors.js';
import type { Limits } from './limits.js';

/**
 * Uncompressed bytes still allowed for one top-level file. One object is shared, and mutated, by
 * every member inflated out of that file (nested archives included), so a zip of many medium
 * members cannot add up to more than `limits.maxTotalInflatedBytes`.
 */
export interface InflateBudget {
  remaining: number;
}

/** A fresh budget for one top-level file, from `limits.maxTotalInflatedBytes`. */
export function createInflateBudget(limits: Pick<Limits, 'maxTotalInflatedBytes'>): InflateBudget {
  return { remaining: limits.maxTotalInflatedBytes };
}

/** Options of every bounded decompression. */
export interface InflateOptions {
  limits: Limits;
  budget: InflateBudget;
}

/** The stream framings Node's zlib decodes: raw deflate (zip method 8), zlib (RFC 1950), gzip (RFC 1952). */
export type InflateFormat = 'deflate-raw' | 'zlib' | 'gzip';

/**
 * Outputs up to this size are never judged by their compression ratio: small files of zeros or
 * repeated text legitimately compress a thousandfold.
 */
export const RATIO_EXEMPT_BYTES = 1024 * 1024;

const decoders: Record<InflateFormat, (input: Uint8Array, options: { maxOutputLength: number }) => Promise<Buffer>> = {
  'deflate-raw': promisify(inflateRaw),
  zlib: promisify(inflate),
  gzip: promisify(gunzip),
};

/** What is being decompressed, for error messages: `where` names the file and member. */
export interface InflateInput {
  /** `uri` or `uri!member` of the compressed data. */
  where: string;
  /** Offset of the compressed data within its source, for messages. */
  offset: number;
  /** Size of the compressed data in bytes. */
  size: number;
  /** Reads the compressed data (called only when the limits allow it). */
  load(): Promise<Uint8Array>;
}

function limitError(message: string, cause?: unknown): BulwarkError<'LIMIT_EXCEEDED'> {
  return new BulwarkError('LIMIT_EXCEEDED', message, { cause });
}

/**
 * Decompresses `input` in `format` into memory under the member, budget and ratio limits.
 * Throws LIMIT_EXCEEDED when a limit is hit (naming the limit), PARSE_ERROR when the stream is
 * corrupt or truncated.
 */
export async function inflateBounded(input: InflateInput, format: InflateFormat, opts: InflateOptions): Promise<Uint8Array> {
  const { limits, budget } = opts;
  if (budget.remaining <= 0) {
    throw limitError(
      `${input.where}: not decompressed: this file already inflated maxTotalInflatedBytes=${limits.maxTotalInflatedBytes} bytes`,
    );
  }
  const sizeCap = Math.min(limits.maxMemberBytes, budget.remaining);
  // Deflate cannot shrink data by more than its stored-block overhead (5 bytes per 64 KiB), so an
  // input this much larger than the cap can only inflate past it (or is padded with junk).
  const inputCap = sizeCap + Math.ceil(sizeCap / 1000) + 1024;
  if (input.size > inputCap) {
    throw limitError(
      `${input.where}: compressed data at offset ${input.offset} is ${input.size} bytes, which inflates past ` +
        `the limit of ${sizeCap} bytes (maxMemberBytes=${limits.maxMemberBytes}, remaining of maxTotalInflatedBytes=${budget.remaining})`,
    );
  }
  const ratioCap = Math.max(RATIO_EXEMPT_BYTES, Math.floor(input.size * limits.maxCompressionRatio));
  const cap = Math.max(1, Math.floor(Math.min(sizeCap, ratioCap)));
  // Reserve the whole cap before awaiting so concurrent members of one file cannot overdraw the budget.
  budget.remaining -= cap;
  let used = 0;
  try {
    const compressed = await input.load();
    let out: Buffer;
    try {
      out = await decoders[format](compressed, { maxOutputLength: cap });
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw limitError(
          ratioCap <= sizeCap
            ? `${input.where}: decompression bomb: ${input.size} compressed bytes at offset ${input.offset} inflate to more than ` +
                `${cap} bytes (ratio above maxCompressionRatio=${limits.maxCompressionRatio})`
            : `${input.where}: data at offset ${input.offset} inflates to more than ${cap} bytes ` +
                `(maxMemberBytes=${limits.maxMemberBytes}, remaining of maxTotalInflatedBytes=${budget.remaining + cap})`,
          err,
        );
      }
      const reason = err instanceof Error ? err.message : String(err);
      throw new BulwarkError(
        'PARSE_ERROR',
        `${input.where}: corrupt ${format} stream at offset ${input.offset}: expected ${input.size} bytes of valid compressed data (${reason})`,
        { cause: err },
      );
    }
    used = out.length;
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } finally {
    budget.remaining += cap - used;
  }
}
