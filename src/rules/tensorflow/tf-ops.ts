/**
 * TensorFlow ops that reach outside the graph: Python callbacks, the file system, the network.
 * Names are the registered op names (tensorflow/core/ops/*.cc REGISTER_OP), which is what NodeDef.op
 * holds. Assembled from the op registry; ModelScan's and ModelAudit's unsafe-op lists were read
 * as cross-checks, not copied. Ops that only read or write in-memory tensors are not listed.
 */
import type { Severity } from '../../report/types.js';

/** What an op can do outside the graph. */
export type TfOpCategory = 'python-callback' | 'file-read' | 'file-write' | 'checkpoint-io' | 'network' | 'conditional';

/** How one op is judged. */
export interface TfOpRisk {
  category: TfOpCategory;
  severity: Severity;
  /** Why it matters, for the finding message. */
  why: string;
}

const py = (why: string): TfOpRisk => ({ category: 'python-callback', severity: 'critical', why });
const read = (why: string, severity: Severity = 'high'): TfOpRisk => ({ category: 'file-read', severity, why });
const write = (why: string, severity: Severity = 'high'): TfOpRisk => ({ category: 'file-write', severity, why });
const ckpt = (why: string): TfOpRisk => ({ category: 'checkpoint-io', severity: 'high', why });
const net = (why: string): TfOpRisk => ({ category: 'network', severity: 'high', why });
const cond = (why: string): TfOpRisk => ({ category: 'conditional', severity: 'high', why });

/** Every op Bulwark judges, by registered name. */
export const TF_RISKY_OPS: ReadonlyMap<string, TfOpRisk> = new Map<string, TfOpRisk>([
  // Python callbacks (tf.py_function, tf.numpy_function, tf.compat.v1.py_func): the node calls a
  // Python function registered in the loading process under the node's `token`.
  ['PyFunc', py('calls back into Python (tf.numpy_function / tf.compat.v1.py_func): whatever function the loading process has registered under its token runs, and a graph built for it expects attacker-chosen Python to be present')],
  ['PyFuncStateless', py('calls back into Python (stateless tf.py_func)')],
  ['EagerPyFunc', py('calls back into Python eagerly (tf.py_function)')],
  // Reading files.
  ['ReadFile', read('reads a whole file whose name is a graph input or constant (tf.io.read_file)')],
  ['MatchingFiles', read('lists file names matching a glob (tf.io.matching_files): reconnaissance of the serving host')],
  ['ImmutableConst', read('memory-maps a file named by its memory_region_name attr into a tensor')],
  ['WholeFileReader', read('queue-based reader of whole files')],
  ['WholeFileReaderV2', read('queue-based reader of whole files')],
  ['TextLineReader', read('queue-based reader of text files')],
  ['TextLineReaderV2', read('queue-based reader of text files')],
  ['FixedLengthRecordReader', read('queue-based reader of fixed-length record files')],
  ['FixedLengthRecordReaderV2', read('queue-based reader of fixed-length record files')],
  ['TFRecordReader', read('queue-based reader of TFRecord files')],
  ['TFRecordReaderV2', read('queue-based reader of TFRecord files')],
  ['LMDBReader', read('reader of LMDB databases')],
  ['TFRecordDataset', read('tf.data source reading TFRecord files')],
  ['TFRecordDatasetV2', read('tf.data source reading TFRecord files')],
  ['TextLineDataset', read('tf.data source reading text files')],
  ['FixedLengthRecordDataset', read('tf.data source reading fixed-length record files')],
  ['FixedLengthRecordDatasetV2', read('tf.data source reading fixed-length record files')],
  ['CSVDataset', read('tf.data source reading CSV files')],
  ['CSVDatasetV2', read('tf.data source reading CSV files')],
  ['ExperimentalCSVDataset', read('tf.data source reading CSV files')],
  ['LMDBDataset', read('tf.data source reading LMDB databases')],
  ['ExperimentalLMDBDataset', read('tf.data source reading LMDB databases')],
  ['MatchingFilesDataset', read('tf.data source listing files by glob')],
  ['ExperimentalMatchingFilesDataset', read('tf.data source listing files by glob')],
  ['LoadDataset', read('loads a saved tf.data dataset from a path')],
  ['SqlDataset', read('tf.data source running a SQL query against a database file')],
  ['ExperimentalSqlDataset', read('tf.data source running a SQL query against a database file')],
  ['InitializeTableFromTextFile', read('fills a lookup table from a text file (normal for vocabulary assets; check the path is the model\'s own asset)', 'medium')],
  ['InitializeTableFromTextFileV2', read('fills a lookup table from a text file (normal for vocabulary assets; check the path is the model\'s own asset)', 'medium')],
  ['GenerateVocabRemapping', read('reads vocabulary files for warm-starting', 'medium')],
  ['LoadAndRemapMatrix', read('reads a checkpoint for warm-starting', 'medium')],
  // Writing files.
  ['WriteFile', write('writes a tensor to a file path it is given (tf.io.write_file): can drop or overwrite files on the serving host')],
  ['DatasetToTFRecord', write('writes a dataset to a TFRecord file')],
  ['ExperimentalDatasetToTFRecord', write('writes a dataset to a TFRecord file')],
  ['SaveDataset', write('saves a tf.data dataset to a path')],
  ['SaveDatasetV2', write('saves a tf.data dataset to a path')],
  ['SnapshotDataset', write('writes dataset snapshots under a path')],
  ['SnapshotDatasetV2', write('writes dataset snapshots under a path')],
  ['CacheDataset', write('caches a dataset to the file its filename input names (an empty name keeps it in memory)', 'medium')],
  ['CacheDatasetV2', write('caches a dataset to the file its filename input names (an empty name keeps it in memory)', 'medium')],
  ['CreateSummaryFileWriter', write('opens an event file for writing under a log directory it is given')],
  ['CreateSummaryDbWriter', write('opens a SQLite database for writing')],
  ['SummaryWriter', write('creates a summary writer resource (writes event files once created)', 'medium')],
  ['WriteSummary', write('appends to a summary event file', 'medium')],
  ['WriteRawProtoSummary', write('appends to a summary event file', 'medium')],
  ['WriteScalarSummary', write('appends to a summary event file', 'medium')],
  ['WriteHistogramSummary', write('appends to a summary event file', 'medium')],
  ['WriteImageSummary', write('appends to a summary event file', 'medium')],
  ['WriteAudioSummary', write('appends to a summary event file', 'medium')],
  ['WriteGraphSummary', write('appends to a summary event file', 'medium')],
  ['ImportEvent', write('appends to a summary event file', 'medium')],
  ['DebugIdentityV2', write('dumps tensors to the directory in its dump_root attr (tfdbg)')],
  // Checkpoint I/O: legitimate only as the model's own saver (see TensorflowFacts.saverScopes).
  ['Save', ckpt('writes tensors to a checkpoint file it is given')],
  ['SaveV2', ckpt('writes tensors to a checkpoint prefix it is given')],
  ['SaveSlices', ckpt('writes tensor slices to a checkpoint file it is given')],
  ['MergeV2Checkpoints', ckpt('merges checkpoint files and can delete the source directories (delete_old_dirs)')],
  ['Restore', ckpt('reads tensors from any checkpoint file it is given')],
  ['RestoreV2', ckpt('reads tensors from any checkpoint prefix it is given')],
  ['RestoreSlice', ckpt('reads tensor slices from any checkpoint file it is given')],
  // Network.
  ['RpcClient', net('opens a gRPC client to an address it is given (tf.distribute.experimental.rpc)')],
  ['RpcCall', net('calls a remote method over gRPC')],
  ['RpcServer', net('starts a gRPC server listening on an address it is given')],
  ['RpcServerStart', net('starts a gRPC server')],
  ['RpcServerRegister', net('registers a graph function as a remotely callable gRPC method')],
  // Judged by their attrs (see conditionalReason).
  ['PrintV2', cond('prints tensors to the stream its output_stream attr names; file:// writes a file')],
  ['DecodeProtoV2', cond('parses protos with a descriptor loaded from its descriptor_source attr; a file path is read from disk')],
  ['EncodeProto', cond('encodes protos with a descriptor loaded from its descriptor_source attr; a file path is read from disk')],
  ['DebugIdentity', cond('tfdbg op that sends tensors to its debug_urls (file:// writes files, grpc:// sends them over the network)')],
  ['DebugNanCount', cond('tfdbg op that sends tensors to its debug_urls (file:// writes files, grpc:// sends them over the network)')],
  ['DebugNumericSummary', cond('tfdbg op that sends tensors to its debug_urls (file:// writes files, grpc:// sends them over the network)')],
]);

/**
 * For an op judged by its attrs: the category its attrs put it in, with the attr value, or
 * undefined when the attrs keep it inside the process (PrintV2 to stderr, descriptor_source
 * `local://`, no debug_urls).
 */
export function conditionalReason(op: string, attrs: Readonly<Record<string, string>>): { category: 'file-write' | 'file-read' | 'network'; detail: string } | undefined {
  switch (op) {
    case 'PrintV2': {
      // output_stream: stdout, stderr, log(info|warning|error), or file://<path> (logging_ops.cc).
      const s = attrs.output_stream;
      return s !== undefined && s.startsWith('file://') ? { category: 'file-write', detail: `output_stream "${s}"` } : undefined;
    }
    case 'DecodeProtoV2':
    case 'EncodeProto': {
      // descriptor_source: "local://" (the linked-in pool, default), "bytes://<serialized set>", or a file path.
      const s = attrs.descriptor_source;
      return s !== undefined && s !== '' && s !== 'local://' && !s.startsWith('bytes://') ? { category: 'file-read', detail: `descriptor_source "${s}"` } : undefined;
    }
    case 'DebugIdentity':
    case 'DebugNanCount':
    case 'DebugNumericSummary': {
      const s = attrs.debug_urls ?? '';
      if (/grpc:\/\//.test(s)) return { category: 'network', detail: `debug_urls "${s}"` };
      if (/file:\/\//.test(s)) return { category: 'file-write', detail: `debug_urls "${s}"` };
      return undefined;
    }
    default:
      return undefined;
  }
}
