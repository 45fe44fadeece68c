/**
 * What the pickle parser reports: facts only, never severities. Rules in src/rules/pickle judge them.
 * Offsets are byte offsets within the ByteSource that was parsed (file or archive member).
 */

/** The pickle opcodes that import a global. */
export type ImportOpcode = 'GLOBAL' | 'STACK_GLOBAL' | 'INST';

/** The opcodes that invoke a callable (BUILD invokes `__setstate__` or updates `__dict__`). */
export type InvokeOpcode = 'REDUCE' | 'INST' | 'OBJ' | 'NEWOBJ' | 'NEWOBJ_EX' | 'BUILD';

/**
 * One import of `module.name` as the unpickler would perform it. `module`/`name` are after
 * Python 2 -> 3 name mapping (`__builtin__` -> `builtins`, `copy_reg` -> `copyreg`, ...);
 * `rawModule`/`rawName` are present only when the mapping changed them. `name` may be dotted
 * (protocol 4 resolves `a.b` by attribute lookups).
 */
export interface GlobalImport {
  module: string;
  name: string;
  rawModule?: string;
  rawName?: string;
  offset: number;
  opcode: ImportOpcode;
}

/** The callable behind an invocation, as far as static analysis resolves it. */
export type CallableRef =
  /** A global imported by GLOBAL/STACK_GLOBAL/INST (possibly reached through the memo). */
  | { kind: 'global'; module: string; name: string; importOffset: number }
  /** The result of an earlier call, e.g. `getattr(obj, 'system')` then called: `via` describes it. */
  | { kind: 'call-result'; via: string }
  /** A copyreg extension code (EXT1/2/4): the target is not knowable from the file. */
  | { kind: 'extension'; code: number }
  /** Anything else on the stack (a constant, a persistent id, a built container): described. */
  | { kind: 'other'; description: string };

/** One invocation site. */
export interface Invocation {
  opcode: InvokeOpcode;
  offset: number;
  callable: CallableRef;
  /** Short, bounded rendering of the constant arguments where known (e.g. `('echo hi',)`), for evidence. */
  argsPreview?: string;
}

/** A STACK_GLOBAL whose module or name operand is not a constant string (built at load time). */
export interface DynamicImport {
  offset: number;
  /** What the operands were, e.g. `module=<result of builtins.str.join(...)>, name='system'`. */
  description: string;
}

/** Where a stream came from. */
export type StreamOrigin =
  /** The first pickle in the source. */
  | 'primary'
  /** Another pickle after a STOP (PyTorch legacy sequences, or appended payloads). */
  | 'appended'
  /** A pickle that joblib reads inline for an object-dtype NumPy array. */
  | 'joblib-inline'
  /** A bytes constant passed to a pickle/marshal loads call inside another stream. */
  | 'nested-bytes';

/** Why parsing of a stream ended without STOP. */
export interface StreamError {
  offset: number;
  kind: 'truncated' | 'malformed' | 'limit';
  /** What was expected at `offset` (e.g. `unknown opcode 0xff`, `MARK not found for TUPLE`). */
  message: string;
}

/** One pickle stream (PROTO ... STOP). */
export interface PickleStream {
  origin: StreamOrigin;
  /** Offset of the first opcode. */
  start: number;
  /** Offset just after STOP, or where parsing ended. */
  end: number;
  /** The PROTO argument, or 0 when the stream has none (protocol 0/1). */
  protocol: number;
  opcodeCount: number;
  /** True when STOP was reached. */
  complete: boolean;
  globals: GlobalImport[];
  invocations: Invocation[];
  dynamicImports: DynamicImport[];
  /** Count of PERSID/BINPERSID (PyTorch storages use them). */
  persistentIds: number;
  /** Present when the stream ended without STOP. */
  error?: StreamError;
  /**
   * Oddities CPython's unpickler would raise on but that did not stop the scan (a GET of a missing
   * memo key, an EXT code <= 0, a nested pickle too deep to follow), bounded. Present when non-empty.
   */
  anomalies?: { offset: number; message: string }[];
  /**
   * Repeats dropped to bound memory: after the first 100 000 globals (invocations) of a stream, only
   * ones with a name (callable) not recorded yet are kept. Present when something was dropped.
   */
  omitted?: { globals: number; invocations: number };
}

/** Joblib `NumpyArrayWrapper` arrays whose raw bytes were found inline and skipped. */
export interface JoblibArray {
  offset: number;
  bytes: number;
  dtype: string;
}

/** Everything the parser learnt from one source. */
export interface PickleFacts {
  kind: 'pickle';
  streams: PickleStream[];
  joblibArrays: JoblibArray[];
  /** Bytes after the last stream that are not a pickle (0 when the source ends cleanly). */
  trailingBytes: number;
  /** Opcodes over all streams. */
  opcodeCount: number;
  /** Set when a limit stopped the parser early (the facts are then partial). */
  limitHit?: { limit: string; offset: number };
}
