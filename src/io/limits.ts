/**
 * Resource limits for every parser. Hitting one is reported (a report error with code
 * LIMIT_EXCEEDED, so the report is incomplete), never a hang or an out-of-memory crash.
 */
export interface Limits {
  /** Bytes of pickle opcodes parsed per file or member (inline data that is skipped does not count). */
  maxPickleBytes: number;
  /** Opcodes per pickle stream. */
  maxOpcodes: number;
  /** Entries in the pickle memo. */
  maxMemo: number;
  /** Depth of MARK nesting and of symbolic values (tuples in tuples). */
  maxDepth: number;
  /** Items on the symbolic stack. */
  maxStackItems: number;
  /** Pickle streams in one file (appended pickles, PyTorch legacy sequences, joblib arrays). */
  maxStreams: number;
  /** Members in one archive. */
  maxArchiveEntries: number;
  /** Uncompressed bytes of one archive member that is inflated into memory. */
  maxMemberBytes: number;
  /** Uncompressed bytes inflated per top-level file, over all its members. */
  maxTotalInflatedBytes: number;
  /** Uncompressed/compressed ratio of one member above which it is treated as a bomb. */
  maxCompressionRatio: number;
  /** Containers inside containers (a zip in a tar in a gzip). */
  maxNesting: number;
  /** Wall-clock time per top-level file, in milliseconds. */
  timeoutMs: number;
}

/** The defaults: generous enough for real models, tight enough to stop bombs. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxPickleBytes: 1024 * 1024 * 1024,
  maxOpcodes: 500_000_000,
  maxMemo: 5_000_000,
  maxDepth: 1_000,
  maxStackItems: 5_000_000,
  maxStreams: 10_000,
  maxArchiveEntries: 100_000,
  maxMemberBytes: 512 * 1024 * 1024,
  maxTotalInflatedBytes: 2 * 1024 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxNesting: 4,
  timeoutMs: 120_000,
});

/** Per-limit overrides, as a config file gives them (absent or undefined = the default). */
export type LimitOverrides = { [K in keyof Limits]?: Limits[K] | undefined };

/** Applies overrides over the defaults, ignoring undefined entries. */
export function resolveLimits(overrides: LimitOverrides = {}): Limits {
  const out: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(overrides) as (keyof Limits)[]) {
    const v = overrides[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}
