/**
 * The judgement of pickle globals, as data. Documented entry by entry in docs/callables.md
 * (a test keeps the two in step).
 *
 * Patterns name `module.name` in full. A trailing `.*` matches every name in that module and its
 * submodules (`os.*` matches `os.system` and `os.path.join`). Everything else is an exact match.
 */

/** Why a callable is denied: the harm loading it can do. */
export type DenyReason =
  | 'process execution'
  | 'code execution'
  | 'dynamic import'
  | 'nested deserialisation'
  | 'network access'
  | 'file system access'
  | 'native code'
  | 'interpreter state'
  | 'gadget';

/** One denied pattern. */
export interface DenyEntry {
  pattern: string;
  reason: DenyReason;
}

const entries = (reason: DenyReason, patterns: string[]): DenyEntry[] => patterns.map((pattern) => ({ pattern, reason }));

/**
 * Callables that must never be reached while loading a model: any import of one is critical.
 * Modules are denied whole where nothing in them belongs in a model file.
 */
export const DENIED_CALLABLES: readonly DenyEntry[] = [
  ...entries('process execution', [
    'os.*', 'posix.*', 'nt.*', 'subprocess.*', 'pty.*', 'commands.*', 'popen2.*', '_posixsubprocess.*',
    'asyncio.subprocess.*', 'asyncio.unix_events.*', 'asyncio.windows_utils.*', 'multiprocessing.*',
    '_osx_support.*', '_aix_support.*', 'distutils.spawn.*', 'pydoc.pipepager', 'pydoc.tempfilepager',
    'pydoc.pager', '_pyrepl.pager.*', 'platform.popen', 'platform._syscmd_file', 'platform._syscmd_ver',
    'uuid._popen', 'uuid._get_command_stdout', 'signal.*', 'threading.*', '_thread.*',
  ]),
  ...entries('code execution', [
    'builtins.eval', 'builtins.exec', 'builtins.execfile', 'builtins.compile', 'builtins.breakpoint',
    'builtins.input', 'builtins.help', 'builtins.type', 'builtins.globals', 'builtins.locals', 'builtins.vars',
    'code.*', 'codeop.*', 'runpy.*', 'types.CodeType', 'types.FunctionType', 'types.MethodType',
    'types.LambdaType', 'timeit.*', 'cProfile.*', 'profile.*', 'pdb.*', 'bdb.*', 'trace.*', 'doctest.*',
    'idlelib.*', 'lib2to3.*', 'test.*', 'numpy.testing._private.utils.runstring', 'numpy.f2py.*',
    'numpy.distutils.*', 'torch._inductor.*', 'torch.utils.cpp_extension.*', 'torch.jit.*', 'torch.package.*',
    'logging.config.*', 'site.*', 'ensurepip.*', 'pip.*', '_pip.*', 'setuptools.*', 'distutils.*', 'venv.*',
  ]),
  ...entries('dynamic import', [
    'builtins.__import__', 'importlib.*', 'imp.*', 'pkgutil.*', 'zipimport.*', 'sys.*', 'builtins.getattr',
    'builtins.setattr', 'builtins.delattr', 'builtins.__build_class__', 'inspect.*', 'gc.*',
  ]),
  ...entries('nested deserialisation', [
    'pickle.*', '_pickle.*', 'cPickle.*', 'dill.*', 'cloudpickle.*', 'marshal.*', 'shelve.*', 'joblib.load',
    'joblib.numpy_pickle.load', 'numpy.load', 'numpy.lib.npyio.load', 'numpy.core.multiarray.loads',
    'torch.load', 'torch.serialization.load', 'torch.serialization._load', 'torch.storage._load_from_bytes',
    'torch.hub.*', 'yaml.load', 'yaml.unsafe_load', 'yaml.full_load', 'jsonpickle.*', 'keras.models.load_model',
  ]),
  ...entries('network access', [
    'socket.*', '_socket.*', 'ssl.*', 'http.client.*', 'http.server.*', 'urllib.request.*', 'urllib.urlopen',
    'urllib2.*', 'requests.*', 'httpx.*', 'aiohttp.*', 'ftplib.*', 'smtplib.*', 'telnetlib.*', 'xmlrpc.*',
    'webbrowser.*', 'socketserver.*', 'asyncore.*', 'asynchat.*', 'poplib.*', 'imaplib.*', 'nntplib.*',
  ]),
  ...entries('file system access', [
    'builtins.open', 'io.open', 'io.open_code', 'io.FileIO', '_io.*', 'shutil.*', 'tempfile.*', 'glob.*',
    'fileinput.*', 'linecache.*', 'tarfile.*', 'zipfile.*', 'dbm.*',
  ]),
  ...entries('native code', ['ctypes.*', '_ctypes.*', 'cffi.*', 'mmap.*', 'resource.*']),
  ...entries('gadget', [
    'operator.attrgetter', 'operator.methodcaller', 'operator.call', 'functools.partial',
    'functools.partialmethod', 'functools.reduce', 'functools.singledispatch', 'itertools.starmap',
    'builtins.memoryview', 'copyreg.add_extension', 'copyreg.constructor', 'copyreg.pickle',
    'builtins.classmethod', 'builtins.staticmethod', 'builtins.property', 'builtins.super',
  ]),
];

/**
 * Attribute names that are dangerous in whichever module they sit: a global whose name (or any
 * part of a dotted name) is one of these is denied even from a module not listed above, because
 * a module that merely imports `os` exposes `os.system` as `<module>.os.system`.
 */
export const DENIED_NAME_PARTS: ReadonlySet<string> = new Set([
  'system', 'popen', 'popen2', 'popen3', 'popen4', '_popen', 'Popen', 'spawnl', 'spawnle', 'spawnlp', 'spawnlpe',
  'spawnv', 'spawnve', 'spawnvp', 'spawnvpe', 'execl', 'execle', 'execlp', 'execlpe', 'execv', 'execve',
  'execvp', 'execvpe', 'eval', 'exec', 'execfile', 'check_output', 'check_call', 'getoutput',
  'getstatusoutput', 'fork_exec', '_run_code', 'run_module', 'run_path', '__import__', 'import_module',
  'load_module', 'runcode', 'runsource', 'runctx', 'runcall', 'runeval', 'runstring', 'os', 'subprocess', 'sys',
  'builtins', '__builtins__', 'posix', 'nt', 'pty', 'importlib', 'ctypes', 'socket', 'marshal',
]);

/**
 * Callables that real models contain and that do nothing but rebuild data. Importing them gives no
 * finding. Entries ending in `.*` allow every single-identifier name directly in that module or
 * its submodules, never a dotted attribute path (so `torch.nn.modules.linear.os.system` stays denied).
 */
export const ALLOWED_CALLABLES: readonly string[] = [
  // Python containers and scalars, and the helpers protocols 0-2 use to rebuild them.
  'builtins.set', 'builtins.frozenset', 'builtins.list', 'builtins.dict', 'builtins.tuple',
  'builtins.bytearray', 'builtins.bytes', 'builtins.str', 'builtins.int', 'builtins.float',
  'builtins.complex', 'builtins.bool', 'builtins.slice', 'builtins.range', 'builtins.object',
  'copyreg._reconstructor', 'copyreg.__newobj__', 'copyreg.__newobj_ex__', '_codecs.encode', 'codecs.encode',
  'collections.OrderedDict', 'collections.defaultdict', 'collections.Counter', 'collections.deque',
  'datetime.datetime', 'datetime.date', 'datetime.time', 'datetime.timedelta', 'datetime.timezone',
  'decimal.Decimal', 'fractions.Fraction', 'uuid.UUID', 're._compile', 'argparse.Namespace',
  // PyTorch tensors, storages, parameters and modules.
  'torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state',
  'torch._utils._rebuild_sparse_tensor', 'torch._utils._rebuild_sparse_csr_tensor',
  'torch._utils._rebuild_sparse_compressed_tensor', 'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_device_tensor_from_numpy', 'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._utils._rebuild_nested_tensor', 'torch._utils._rebuild_wrapper_subclass',
  'torch._tensor._rebuild_from_type', 'torch._tensor._rebuild_from_type_v2', 'torch.serialization._get_layout',
  'torch.FloatStorage', 'torch.DoubleStorage', 'torch.HalfStorage', 'torch.BFloat16Storage',
  'torch.LongStorage', 'torch.IntStorage', 'torch.ShortStorage', 'torch.CharStorage', 'torch.ByteStorage',
  'torch.BoolStorage', 'torch.ComplexFloatStorage', 'torch.ComplexDoubleStorage', 'torch.QUInt8Storage',
  'torch.QInt8Storage', 'torch.QInt32Storage', 'torch.QUInt4x2Storage', 'torch.QUInt2x4Storage',
  'torch.UntypedStorage', 'torch.storage.UntypedStorage', 'torch.storage.TypedStorage',
  'torch.Size', 'torch.device', 'torch.dtype', 'torch.strided', 'torch.sparse_coo', 'torch.sparse_csr',
  'torch.contiguous_format', 'torch.channels_last', 'torch.preserve_format', 'torch.per_tensor_affine',
  'torch.per_channel_affine', 'torch.float32', 'torch.float', 'torch.float64', 'torch.double', 'torch.float16',
  'torch.half', 'torch.bfloat16', 'torch.int64', 'torch.long', 'torch.int32', 'torch.int', 'torch.int16',
  'torch.short', 'torch.int8', 'torch.uint8', 'torch.bool', 'torch.complex64', 'torch.complex128',
  'torch.nn.parameter.Parameter', 'torch.nn.parameter.Buffer', 'torch.nn.modules.*', 'torch.nn.functional.*',
  'torch.nn.utils.weight_norm.WeightNorm', 'torch.nn.utils.parametrize.ParametrizationList',
  'torch.optim.*',
  // NumPy arrays, dtypes, scalars and random state.
  'numpy.ndarray', 'numpy.dtype', 'numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar', 'numpy._core.multiarray.scalar', 'numpy.core.numeric._frombuffer',
  'numpy._core.numeric._frombuffer', 'numpy.ma.core._mareconstruct', 'numpy.ma.core.MaskedArray',
  'numpy.random._pickle.__randomstate_ctor', 'numpy.random._pickle.__generator_ctor',
  'numpy.random._pickle.__bit_generator_ctor', 'numpy.random.mtrand.RandomState',
  'numpy.random._mt19937.MT19937', 'numpy.random._pcg64.PCG64', 'numpy.random._generator.Generator',
  'numpy.float16', 'numpy.float32', 'numpy.float64', 'numpy.int8', 'numpy.int16', 'numpy.int32', 'numpy.int64',
  'numpy.uint8', 'numpy.uint16', 'numpy.uint32', 'numpy.uint64', 'numpy.bool_', 'numpy.str_', 'numpy.bytes_',
  'numpy.complex64', 'numpy.complex128', 'numpy.dtypes.*',
  // joblib's inline array wrapper (its bytes are read as data, never unpickled).
  'joblib.numpy_pickle.NumpyArrayWrapper', 'sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper',
  // SciPy sparse matrices (sklearn estimators hold them).
  'scipy.sparse._csr.csr_matrix', 'scipy.sparse._csc.csc_matrix', 'scipy.sparse._coo.coo_matrix',
  'scipy.sparse.csr.csr_matrix', 'scipy.sparse.csc.csc_matrix', 'scipy.sparse.coo.coo_matrix',
  'scipy.sparse._csr.csr_array', 'scipy.sparse._csc.csc_array',
  // Gradient-boosting boosters and their scikit-learn wrappers.
  'xgboost.core.Booster', 'xgboost.sklearn.XGBModel', 'xgboost.sklearn.XGBClassifier',
  'xgboost.sklearn.XGBRegressor', 'xgboost.sklearn.XGBRanker', 'lightgbm.basic.Booster',
  'lightgbm.sklearn.LGBMModel', 'lightgbm.sklearn.LGBMClassifier', 'lightgbm.sklearn.LGBMRegressor',
  'lightgbm.sklearn.LGBMRanker',
];

/**
 * scikit-learn estimators, transformers and their helper classes are allowed by shape: a class
 * name (upper-case first letter, or `_` then upper-case) anywhere under `sklearn.`. Functions in
 * sklearn (which include dataset downloaders) are not.
 */
export const ALLOWED_CLASS_NAMESPACES: readonly string[] = ['sklearn'];
