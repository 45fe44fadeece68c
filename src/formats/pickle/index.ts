/**
 * The pickle format: a static, symbolic parser of Python pickles (protocols 0-5) that reports what
 * loading would import and call, without ever unpickling anything.
 */
export { parsePickle, sniffPickle, looksLikeProtocol01Pickle, type ParsePickleOptions } from './parse-pickle.js';
export type {
  CallableRef,
  DynamicImport,
  GlobalImport,
  ImportOpcode,
  Invocation,
  InvokeOpcode,
  JoblibArray,
  PickleFacts,
  PickleStream,
  StreamError,
  StreamOrigin,
} from './facts.js';
export { PICKLE_OPCODES, OPCODE_BY_CODE, OPCODE_BY_NAME, HIGHEST_PROTOCOL, type PickleArg, type PickleOpcode, type PickleOpName } from './opcodes.js';
export { IMPORT_MAPPING, NAME_MAPPING, mapPython2Name, type MappedName } from './compat-names.js';
export { assemblePickle, op as pickleOp, raw as pickleRaw, type AsmArg, type AsmPart } from './assemble.js';
