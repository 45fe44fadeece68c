/**
 * The opcode table of Python's pickle protocols 0-5, as documented by CPython's `pickletools`
 * (Lib/pickletools.py, `opcodes`) and implemented by `Lib/pickle.py` / `Modules/_pickle.c`.
 * Argument encodings use pickletools' names so the table can be checked against it line by line.
 */

/**
 * How an opcode's inline argument is encoded (pickletools `ArgumentDescriptor` names).
 * All multi-byte integers are little-endian except `float8` (big-endian IEEE 754 double).
 */
export type PickleArg =
  /** No inline argument. */
  | 'none'
  /** 1-byte unsigned int. */
  | 'uint1'
  /** 2-byte unsigned int. */
  | 'uint2'
  /** 4-byte signed int. */
  | 'int4'
  /** 4-byte unsigned int. */
  | 'uint4'
  /** 8-byte unsigned int. */
  | 'uint8'
  /** 8-byte big-endian IEEE 754 double. */
  | 'float8'
  /** Newline-terminated decimal int (`00`/`01` mean False/True). */
  | 'decimalnl_short'
  /** Newline-terminated decimal int with an optional trailing `L`. */
  | 'decimalnl_long'
  /** Newline-terminated float repr. */
  | 'floatnl'
  /** Newline-terminated, quoted Python 2 string literal with escapes. */
  | 'stringnl'
  /** Newline-terminated string without escapes (PERSID). */
  | 'stringnl_noescape'
  /** Two newline-terminated strings: module then name (GLOBAL, INST). */
  | 'stringnl_noescape_pair'
  /** Newline-terminated raw-unicode-escape text. */
  | 'unicodestringnl'
  /** uint1 length, then bytes (Python 2 str). */
  | 'string1'
  /** int4 length (negative is an error), then bytes (Python 2 str). */
  | 'string4'
  /** uint1 length, then bytes. */
  | 'bytes1'
  /** uint4 length, then bytes. */
  | 'bytes4'
  /** uint8 length, then bytes. */
  | 'bytes8'
  /** uint8 length, then bytes (a bytearray). */
  | 'bytearray8'
  /** uint1 length, then UTF-8. */
  | 'unicodestring1'
  /** uint4 length, then UTF-8. */
  | 'unicodestring4'
  /** uint8 length, then UTF-8. */
  | 'unicodestring8'
  /** uint1 length, then a little-endian two's-complement int. */
  | 'long1'
  /** int4 length (negative is an error), then a little-endian two's-complement int. */
  | 'long4';

/** Every opcode name of protocols 0-5. */
export type PickleOpName =
  | 'MARK' | 'STOP' | 'POP' | 'POP_MARK' | 'DUP' | 'FLOAT' | 'INT' | 'BININT' | 'BININT1' | 'LONG'
  | 'BININT2' | 'NONE' | 'PERSID' | 'BINPERSID' | 'REDUCE' | 'STRING' | 'BINSTRING' | 'SHORT_BINSTRING'
  | 'UNICODE' | 'BINUNICODE' | 'APPEND' | 'BUILD' | 'GLOBAL' | 'DICT' | 'EMPTY_DICT' | 'APPENDS' | 'GET'
  | 'BINGET' | 'INST' | 'LONG_BINGET' | 'LIST' | 'EMPTY_LIST' | 'OBJ' | 'PUT' | 'BINPUT' | 'LONG_BINPUT'
  | 'SETITEM' | 'TUPLE' | 'EMPTY_TUPLE' | 'SETITEMS' | 'BINFLOAT' | 'PROTO' | 'NEWOBJ' | 'EXT1' | 'EXT2'
  | 'EXT4' | 'TUPLE1' | 'TUPLE2' | 'TUPLE3' | 'NEWTRUE' | 'NEWFALSE' | 'LONG1' | 'LONG4' | 'BINBYTES'
  | 'SHORT_BINBYTES' | 'SHORT_BINUNICODE' | 'BINUNICODE8' | 'BINBYTES8' | 'EMPTY_SET' | 'ADDITEMS'
  | 'FROZENSET' | 'NEWOBJ_EX' | 'STACK_GLOBAL' | 'MEMOIZE' | 'FRAME' | 'BYTEARRAY8' | 'NEXT_BUFFER'
  | 'READONLY_BUFFER';

/** One opcode: its byte, argument encoding and the protocol that introduced it. */
export interface PickleOpcode {
  readonly name: PickleOpName;
  readonly code: number;
  readonly arg: PickleArg;
  readonly proto: 0 | 1 | 2 | 3 | 4 | 5;
}

function op(name: PickleOpName, code: string | number, arg: PickleArg, proto: PickleOpcode['proto']): PickleOpcode {
  return Object.freeze({ name, code: typeof code === 'number' ? code : code.charCodeAt(0), arg, proto });
}

/** The full table, in pickletools order. */
export const PICKLE_OPCODES: readonly PickleOpcode[] = Object.freeze([
  op('INT', 'I', 'decimalnl_short', 0),
  op('BININT', 'J', 'int4', 1),
  op('BININT1', 'K', 'uint1', 1),
  op('BININT2', 'M', 'uint2', 1),
  op('LONG', 'L', 'decimalnl_long', 0),
  op('LONG1', 0x8a, 'long1', 2),
  op('LONG4', 0x8b, 'long4', 2),
  op('STRING', 'S', 'stringnl', 0),
  op('BINSTRING', 'T', 'string4', 1),
  op('SHORT_BINSTRING', 'U', 'string1', 1),
  op('BINBYTES', 'B', 'bytes4', 3),
  op('SHORT_BINBYTES', 'C', 'bytes1', 3),
  op('BINBYTES8', 0x8e, 'bytes8', 4),
  op('BYTEARRAY8', 0x96, 'bytearray8', 5),
  op('NEXT_BUFFER', 0x97, 'none', 5),
  op('READONLY_BUFFER', 0x98, 'none', 5),
  op('NONE', 'N', 'none', 0),
  op('NEWTRUE', 0x88, 'none', 2),
  op('NEWFALSE', 0x89, 'none', 2),
  op('UNICODE', 'V', 'unicodestringnl', 0),
  op('SHORT_BINUNICODE', 0x8c, 'unicodestring1', 4),
  op('BINUNICODE', 'X', 'unicodestring4', 1),
  op('BINUNICODE8', 0x8d, 'unicodestring8', 4),
  op('FLOAT', 'F', 'floatnl', 0),
  op('BINFLOAT', 'G', 'float8', 1),
  op('EMPTY_LIST', ']', 'none', 1),
  op('APPEND', 'a', 'none', 0),
  op('APPENDS', 'e', 'none', 1),
  op('LIST', 'l', 'none', 0),
  op('EMPTY_TUPLE', ')', 'none', 1),
  op('TUPLE', 't', 'none', 0),
  op('TUPLE1', 0x85, 'none', 2),
  op('TUPLE2', 0x86, 'none', 2),
  op('TUPLE3', 0x87, 'none', 2),
  op('EMPTY_DICT', '}', 'none', 1),
  op('DICT', 'd', 'none', 0),
  op('SETITEM', 's', 'none', 0),
  op('SETITEMS', 'u', 'none', 1),
  op('EMPTY_SET', 0x8f, 'none', 4),
  op('ADDITEMS', 0x90, 'none', 4),
  op('FROZENSET', 0x91, 'none', 4),
  op('POP', '0', 'none', 0),
  op('DUP', '2', 'none', 0),
  op('MARK', '(', 'none', 0),
  op('POP_MARK', '1', 'none', 1),
  op('GET', 'g', 'decimalnl_short', 0),
  op('BINGET', 'h', 'uint1', 1),
  op('LONG_BINGET', 'j', 'uint4', 1),
  op('PUT', 'p', 'decimalnl_short', 0),
  op('BINPUT', 'q', 'uint1', 1),
  op('LONG_BINPUT', 'r', 'uint4', 1),
  op('MEMOIZE', 0x94, 'none', 4),
  op('EXT1', 0x82, 'uint1', 2),
  op('EXT2', 0x83, 'uint2', 2),
  op('EXT4', 0x84, 'int4', 2),
  op('GLOBAL', 'c', 'stringnl_noescape_pair', 0),
  op('STACK_GLOBAL', 0x93, 'none', 4),
  op('REDUCE', 'R', 'none', 0),
  op('BUILD', 'b', 'none', 0),
  op('INST', 'i', 'stringnl_noescape_pair', 0),
  op('OBJ', 'o', 'none', 1),
  op('NEWOBJ', 0x81, 'none', 2),
  op('NEWOBJ_EX', 0x92, 'none', 4),
  op('PROTO', 0x80, 'uint1', 2),
  op('STOP', '.', 'none', 0),
  op('FRAME', 0x95, 'uint8', 4),
  op('PERSID', 'P', 'stringnl_noescape', 0),
  op('BINPERSID', 'Q', 'none', 1),
]);

/** The table indexed by opcode byte (undefined for bytes that are not opcodes). */
export const OPCODE_BY_CODE: readonly (PickleOpcode | undefined)[] = Object.freeze(
  Array.from({ length: 256 }, (_, code) => PICKLE_OPCODES.find((o) => o.code === code)),
);

/** The table indexed by name. */
export const OPCODE_BY_NAME: Readonly<Record<PickleOpName, PickleOpcode>> = Object.freeze(
  Object.fromEntries(PICKLE_OPCODES.map((o) => [o.name, o])) as Record<PickleOpName, PickleOpcode>,
);

/** The highest protocol this table (and CPython 3.8+) knows. */
export const HIGHEST_PROTOCOL = 5;
