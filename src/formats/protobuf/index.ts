/**
 * A bounded protobuf wire-format reader shared by the ONNX and TensorFlow parsers. It walks fields
 * by offset and never decodes a whole message (see wire.ts for why).
 */
export {
  DEFAULT_MAX_PROTO_DEPTH,
  DEFAULT_MAX_PROTO_FIELDS,
  createLimitedProtoReader,
  createProtoReader,
  decodeHeader,
  decodePackedVarints,
  decodeVarint,
  errorOffset,
  protoParseError,
  readFields,
  readPayload,
  readString,
  safeNumber,
  scanHead,
  toInt64,
  type HeaderResult,
  type ProtoField,
  type ProtoReader,
  type ProtoReaderOptions,
} from './wire.js';
