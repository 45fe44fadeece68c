/**
 * Python 2 -> 3 import renames applied by `pickle.Unpickler.find_class` (CPython Lib/_compat_pickle.py,
 * IMPORT_MAPPING and NAME_MAPPING), mirrored as data. CPython applies them only to protocol < 3 with
 * `fix_imports`; Bulwark applies them always, because a name that maps to a dangerous callable under
 * any loader setting must be judged as that callable.
 */

/** Module renames (`__builtin__` -> `builtins`, `copy_reg` -> `copyreg`, ...). */
export const IMPORT_MAPPING: ReadonlyMap<string, string> = new Map([
  ['BaseHTTPServer', 'http.server'],
  ['CGIHTTPServer', 'http.server'],
  ['ConfigParser', 'configparser'],
  ['Cookie', 'http.cookies'],
  ['Dialog', 'tkinter.dialog'],
  ['DocXMLRPCServer', 'xmlrpc.server'],
  ['FileDialog', 'tkinter.filedialog'],
  ['HTMLParser', 'html.parser'],
  ['Queue', 'queue'],
  ['ScrolledText', 'tkinter.scrolledtext'],
  ['SimpleDialog', 'tkinter.simpledialog'],
  ['SimpleHTTPServer', 'http.server'],
  ['SimpleXMLRPCServer', 'xmlrpc.server'],
  ['SocketServer', 'socketserver'],
  ['StringIO', 'io'],
  ['Tix', 'tkinter.tix'],
  ['Tkconstants', 'tkinter.constants'],
  ['Tkdnd', 'tkinter.dnd'],
  ['Tkinter', 'tkinter'],
  ['UserDict', 'collections'],
  ['UserList', 'collections'],
  ['UserString', 'collections'],
  ['__builtin__', 'builtins'],
  ['_abcoll', 'collections.abc'],
  ['_elementtree', 'xml.etree.ElementTree'],
  ['_winreg', 'winreg'],
  ['anydbm', 'dbm'],
  ['cPickle', 'pickle'],
  ['cStringIO', 'io'],
  ['commands', 'subprocess'],
  ['cookielib', 'http.cookiejar'],
  ['copy_reg', 'copyreg'],
  ['dbhash', 'dbm.bsd'],
  ['dbm', 'dbm.ndbm'],
  ['dumbdbm', 'dbm.dumb'],
  ['dummy_thread', '_dummy_thread'],
  ['gdbm', 'dbm.gnu'],
  ['htmlentitydefs', 'html.entities'],
  ['httplib', 'http.client'],
  ['markupbase', '_markupbase'],
  ['repr', 'reprlib'],
  ['robotparser', 'urllib.robotparser'],
  ['test.test_support', 'test.support'],
  ['thread', '_thread'],
  ['tkColorChooser', 'tkinter.colorchooser'],
  ['tkCommonDialog', 'tkinter.commondialog'],
  ['tkFileDialog', 'tkinter.filedialog'],
  ['tkFont', 'tkinter.font'],
  ['tkMessageBox', 'tkinter.messagebox'],
  ['tkSimpleDialog', 'tkinter.simpledialog'],
  ['ttk', 'tkinter.ttk'],
  ['urllib2', 'urllib.request'],
  ['urlparse', 'urllib.parse'],
  ['whichdb', 'dbm'],
  ['xmlrpclib', 'xmlrpc.client'],
]);

/** Python 2 `exceptions` module names that CPython maps to the same name in `builtins`. */
const PYTHON2_EXCEPTIONS: readonly string[] = [
  'ArithmeticError', 'AssertionError', 'AttributeError', 'BaseException',
  'BufferError', 'BytesWarning', 'DeprecationWarning', 'EOFError',
  'EnvironmentError', 'Exception', 'FloatingPointError', 'FutureWarning',
  'GeneratorExit', 'IOError', 'ImportError', 'ImportWarning',
  'IndentationError', 'IndexError', 'KeyError', 'KeyboardInterrupt',
  'LookupError', 'MemoryError', 'NameError', 'NotImplementedError',
  'OSError', 'OverflowError', 'PendingDeprecationWarning', 'ReferenceError',
  'RuntimeError', 'RuntimeWarning', 'StopIteration', 'SyntaxError',
  'SyntaxWarning', 'SystemError', 'SystemExit', 'TabError',
  'TypeError', 'UnboundLocalError', 'UnicodeDecodeError', 'UnicodeEncodeError',
  'UnicodeError', 'UnicodeTranslateError', 'UnicodeWarning', 'UserWarning',
  'ValueError', 'Warning', 'ZeroDivisionError',
  // CPython adds WindowsError only when it runs on Windows, and a pickle may be loaded there.
  'WindowsError',
];

/** `(module, name)` renames, keyed `module\u0000name`; checked before IMPORT_MAPPING, as CPython does. */
export const NAME_MAPPING: ReadonlyMap<string, readonly [string, string]> = new Map<string, readonly [string, string]>([
  ['UserDict\u0000IterableUserDict', ['collections', 'UserDict']],
  ['UserDict\u0000UserDict', ['collections', 'UserDict']],
  ['UserList\u0000UserList', ['collections', 'UserList']],
  ['UserString\u0000UserString', ['collections', 'UserString']],
  ['__builtin__\u0000basestring', ['builtins', 'str']],
  ['__builtin__\u0000intern', ['sys', 'intern']],
  ['__builtin__\u0000long', ['builtins', 'int']],
  ['__builtin__\u0000reduce', ['functools', 'reduce']],
  ['__builtin__\u0000unichr', ['builtins', 'chr']],
  ['__builtin__\u0000unicode', ['builtins', 'str']],
  ['__builtin__\u0000xrange', ['builtins', 'range']],
  ['_multiprocessing\u0000Connection', ['multiprocessing.connection', 'Connection']],
  ['_socket\u0000fromfd', ['socket', 'fromfd']],
  ['exceptions\u0000StandardError', ['builtins', 'Exception']],
  ['itertools\u0000ifilter', ['builtins', 'filter']],
  ['itertools\u0000ifilterfalse', ['itertools', 'filterfalse']],
  ['itertools\u0000imap', ['builtins', 'map']],
  ['itertools\u0000izip', ['builtins', 'zip']],
  ['itertools\u0000izip_longest', ['itertools', 'zip_longest']],
  ['multiprocessing\u0000AuthenticationError', ['multiprocessing.context', 'AuthenticationError']],
  ['multiprocessing\u0000BufferTooShort', ['multiprocessing.context', 'BufferTooShort']],
  ['multiprocessing\u0000ProcessError', ['multiprocessing.context', 'ProcessError']],
  ['multiprocessing\u0000TimeoutError', ['multiprocessing.context', 'TimeoutError']],
  ['multiprocessing.forking\u0000Popen', ['multiprocessing.popen_fork', 'Popen']],
  ['multiprocessing.process\u0000Process', ['multiprocessing.context', 'Process']],
  ['socket\u0000_socketobject', ['socket', 'SocketType']],
  ['urllib\u0000ContentTooShortError', ['urllib.error', 'ContentTooShortError']],
  ['urllib\u0000getproxies', ['urllib.request', 'getproxies']],
  ['urllib\u0000pathname2url', ['urllib.request', 'pathname2url']],
  ['urllib\u0000quote', ['urllib.parse', 'quote']],
  ['urllib\u0000quote_plus', ['urllib.parse', 'quote_plus']],
  ['urllib\u0000unquote', ['urllib.parse', 'unquote']],
  ['urllib\u0000unquote_plus', ['urllib.parse', 'unquote_plus']],
  ['urllib\u0000url2pathname', ['urllib.request', 'url2pathname']],
  ['urllib\u0000urlcleanup', ['urllib.request', 'urlcleanup']],
  ['urllib\u0000urlencode', ['urllib.parse', 'urlencode']],
  ['urllib\u0000urlopen', ['urllib.request', 'urlopen']],
  ['urllib\u0000urlretrieve', ['urllib.request', 'urlretrieve']],
  ['urllib2\u0000HTTPError', ['urllib.error', 'HTTPError']],
  ['urllib2\u0000URLError', ['urllib.error', 'URLError']],
  ['whichdb\u0000whichdb', ['dbm', 'whichdb']],
  ...PYTHON2_EXCEPTIONS.map((n): [string, readonly [string, string]] => [`exceptions\u0000${n}`, ['builtins', n]]),
]);

/** A module/name pair after mapping, with the raw spelling when the mapping changed it. */
export interface MappedName {
  module: string;
  name: string;
  rawModule?: string;
  rawName?: string;
}

/** Applies NAME_MAPPING, else IMPORT_MAPPING, exactly in CPython's order (find_class). */
export function mapPython2Name(module: string, name: string): MappedName {
  const pair = NAME_MAPPING.get(`${module}\u0000${name}`);
  if (pair !== undefined) {
    const out: MappedName = { module: pair[0], name: pair[1] };
    if (pair[0] !== module) out.rawModule = module;
    if (pair[1] !== name) out.rawName = name;
    return out;
  }
  const mod = IMPORT_MAPPING.get(module);
  if (mod !== undefined) return { module: mod, name, rawModule: module };
  return { module, name };
}
