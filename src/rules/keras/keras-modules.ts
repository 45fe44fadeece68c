/**
 * Which Python modules a Keras config may name. Keras resolves a serialized object's `module` /
 * `class_name` by importing the module (Keras 3 `serialization_lib._retrieve_class_or_fn`; before
 * 3.9 any module, CVE-2025-1550), so a module outside the Keras family means an import of
 * third-party (or standard-library) code on load. Inside the Keras family, a few functions are
 * gadgets that later safe_mode bypasses used (CVE-2025-8747, CVE-2025-9906).
 */
import type { CallablePolicy } from '../pickle/callable-policy.js';

/** Top-level packages whose classes and functions Keras configs legitimately name. */
export const KERAS_TRUSTED_NAMESPACES: readonly string[] = ['keras', 'tensorflow', 'tf_keras', 'keras_nlp', 'keras_cv', 'keras_hub'];

/**
 * Standard-library and common modules that have no place in a model config: naming one gives
 * process, code, file or network access on load. (The pickle deny-list is consulted too.)
 */
export const KERAS_DANGEROUS_MODULES: readonly string[] = [
  'os', 'posix', 'nt', 'subprocess', 'builtins', '__builtin__', 'sys', 'importlib', 'runpy', 'pty', 'shutil',
  'socket', 'pickle', '_pickle', 'marshal', 'ctypes', 'code', 'codeop', 'commands', 'webbrowser', 'urllib',
  'urllib2', 'urllib3', 'requests', 'http', 'httplib', 'ftplib', 'smtplib', 'telnetlib', 'multiprocessing',
  'asyncio', 'tempfile', 'pathlib', 'io', 'shelve', 'dill', 'cloudpickle', 'joblib', 'types', 'functools',
  'operator', 'inspect', 'gc', 'signal', 'threading', '_thread', 'timeit', 'pdb', 'platform', 'pydoc', 'zipimport',
];

/** A function or class inside the trusted namespaces that bypasses safe_mode or touches files or the network. */
interface Gadget {
  /** Matches the qualified name (`module.name`). */
  test: RegExp;
  reason: string;
  cve?: string;
}

/** Gadgets in the Keras/TensorFlow namespaces (matched on `module.name`, any submodule spelling). */
export const KERAS_GADGETS: readonly Gadget[] = [
  { test: /(^|\.)get_file$/, reason: 'downloads a file from a URL and can extract archives to any path', cve: 'CVE-2025-8747' },
  { test: /(^|\.)file_utils\.[A-Za-z_]+$/, reason: 'Keras file utilities (download, extract, copy)' },
  { test: /(^|\.)(load_model)$/, reason: 'loads another model file, which can be told to run with safe_mode=False', cve: 'CVE-2025-9906' },
  { test: /(^|\.)(enable_unsafe_deserialization|set_global_attribute|safe_mode_scope|SafeModeScope)$/, reason: 'turns off safe_mode for what is loaded next', cve: 'CVE-2025-9906' },
  { test: /^tensorflow\.(compat\.v[12]\.)?io\.|^tensorflow\.(compat\.v[12]\.)?gfile\./, reason: 'TensorFlow file I/O (tf.io / tf.io.gfile read, write, copy and delete files, also remote ones)' },
  { test: /^tensorflow\.(compat\.v[12]\.)?raw_ops\.(WriteFile|ReadFile|MatchingFiles|Save|SaveV2|SaveSlices|Restore|RestoreV2|PyFunc|PyFuncStateless|EagerPyFunc)$/, reason: 'TensorFlow raw op with file or Python-callable access' },
  { test: /^tensorflow\.(compat\.v[12]\.)?(py_function|numpy_function|py_func|script_ops\.[A-Za-z_]+)$/, reason: 'wraps a Python callable into the graph' },
  { test: /^tensorflow\.(compat\.v[12]\.)?(saved_model\.load|saved_model\.loader\.load|load_op_library|load_library)$/, reason: 'loads an external SavedModel or native library' },
  { test: /(^|\.)TFSMLayer$/, reason: 'loads an external TensorFlow SavedModel from a path' },
];

/** The verdict on one name a config makes Keras import or call. */
export type KerasModuleVerdict =
  | { verdict: 'dangerous'; reason: string; cve?: string }
  | { verdict: 'untrusted'; reason: string }
  | { verdict: 'trusted' };

function topLevel(dotted: string): string {
  const dot = dotted.indexOf('.');
  return dot < 0 ? dotted : dotted.slice(0, dot);
}

function isTrustedNamespace(top: string): boolean {
  return KERAS_TRUSTED_NAMESPACES.includes(top);
}

/**
 * Judges what Keras would import: `module` (may be undefined) and `name` (a class or function name,
 * possibly dotted). `registered_name` (`package>Name`) is judged by its package prefix.
 */
export function judgeKerasName(
  module: string | undefined,
  name: string,
  registeredName: string | undefined,
  callables: CallablePolicy,
): KerasModuleVerdict {
  let mod = module !== undefined && module !== '' ? module : undefined;
  let leaf = name;
  if (mod === undefined && name.includes('.')) {
    // A fully qualified class_name (`mypkg.layers.Fancy`): the part before the last dot is a module.
    mod = name.slice(0, name.lastIndexOf('.'));
    leaf = name.slice(name.lastIndexOf('.') + 1);
  }
  if (mod !== undefined) {
    const qualified = `${mod}.${leaf}`;
    const top = topLevel(mod);
    if (isTrustedNamespace(top)) {
      const gadget = KERAS_GADGETS.find((g) => g.test.test(qualified));
      if (gadget) {
        const v: KerasModuleVerdict = { verdict: 'dangerous', reason: gadget.reason };
        if (gadget.cve !== undefined) v.cve = gadget.cve;
        return v;
      }
    } else {
      const pickle = callables.judge(mod, leaf);
      if (pickle.verdict === 'deny') return { verdict: 'dangerous', reason: `${pickle.reason} (matches ${pickle.matched})`, cve: 'CVE-2025-1550' };
      if (KERAS_DANGEROUS_MODULES.includes(top)) return { verdict: 'dangerous', reason: `module ${top} gives process, code, file or network access`, cve: 'CVE-2025-1550' };
      return { verdict: 'untrusted', reason: `loading imports module ${mod}, which is not part of Keras or TensorFlow` };
    }
  }
  if (registeredName !== undefined && registeredName.includes('>')) {
    const pkg = registeredName.slice(0, registeredName.indexOf('>'));
    if (!isTrustedNamespace(topLevel(pkg))) {
      if (KERAS_DANGEROUS_MODULES.includes(topLevel(pkg))) return { verdict: 'dangerous', reason: `registered under package ${pkg}, which gives process, code, file or network access` };
      return { verdict: 'untrusted', reason: `a custom object registered by package ${pkg}: loading needs that package's code` };
    }
  }
  return { verdict: 'trusted' };
}
