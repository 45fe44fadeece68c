import { describe, expect, it } from 'vitest';
import { compileCallablePolicy } from './callable-policy.js';

const policy = compileCallablePolicy();
const verdict = (m: string, n: string): string => policy.judge(m, n).verdict;

describe('callable policy', () => {
  it.each([
    ['os', 'system'],
    ['posix', 'system'],
    ['nt', 'system'],
    ['subprocess', 'Popen'],
    ['builtins', 'eval'],
    ['builtins', 'exec'],
    ['builtins', 'getattr'],
    ['builtins', '__import__'],
    ['runpy', '_run_code'],
    ['importlib', 'import_module'],
    ['socket', 'create_connection'],
    ['webbrowser', 'open'],
    ['shutil', 'rmtree'],
    ['pip', 'main'],
    ['pickle', 'loads'],
    ['marshal', 'loads'],
    ['types', 'CodeType'],
    ['types', 'FunctionType'],
    ['operator', 'attrgetter'],
    ['operator', 'methodcaller'],
    ['functools', 'partial'],
    ['ctypes', 'CDLL'],
    ['sys', 'modules'],
    ['numpy.testing._private.utils', 'runstring'],
    ['torch', 'load'],
    ['asyncio.subprocess', 'create_subprocess_shell'],
  ])('denies %s.%s', (m, n) => {
    expect(verdict(m, n)).toBe('deny');
  });

  it('denies dangerous names reached through other modules and dunder walks', () => {
    expect(verdict('torch.nn.modules.linear', 'os.system')).toBe('deny');
    expect(verdict('somepkg', 'system')).toBe('deny');
    expect(verdict('builtins', 'print.__self__.__dict__')).toBe('deny');
    expect(verdict('torch.serialization.os', 'listdir')).toBe('deny');
  });

  it.each([
    ['collections', 'OrderedDict'],
    ['torch._utils', '_rebuild_tensor_v2'],
    ['torch._utils', '_rebuild_parameter'],
    ['torch', 'FloatStorage'],
    ['torch.nn.modules.linear', 'Linear'],
    ['torch.nn.modules.container', 'Sequential'],
    ['numpy.core.multiarray', '_reconstruct'],
    ['numpy', 'dtype'],
    ['numpy', 'ndarray'],
    ['joblib.numpy_pickle', 'NumpyArrayWrapper'],
    ['sklearn.linear_model._logistic', 'LogisticRegression'],
    ['sklearn.tree._tree', 'Tree'],
    ['copyreg', '_reconstructor'],
    ['builtins', 'set'],
  ])('allows %s.%s', (m, n) => {
    expect(verdict(m, n)).toBe('allow');
  });

  it('leaves everything else unknown, including sklearn functions and dotted paths under allowed prefixes', () => {
    expect(verdict('mylib.models', 'MyNet')).toBe('unknown');
    expect(verdict('__main__', 'Net')).toBe('unknown');
    expect(verdict('sklearn.datasets', 'fetch_openml')).toBe('unknown');
    expect(verdict('torch.nn.modules.linear', 'Linear.forward')).toBe('unknown');
  });

  it('applies user lists: allow adds, deny adds, and deny always wins', () => {
    const p = compileCallablePolicy({ allow: ['mylib.models.MyNet', 'mylib.layers.*', 'os.system'], deny: ['sklearn.*'] });
    expect(p.judge('mylib.models', 'MyNet').verdict).toBe('allow');
    expect(p.judge('mylib.layers.conv', 'Conv').verdict).toBe('allow');
    expect(p.judge('os', 'system').verdict).toBe('deny');
    const v = p.judge('sklearn.linear_model._logistic', 'LogisticRegression');
    expect(v).toEqual({ verdict: 'deny', reason: 'user deny-list', matched: 'sklearn.*' });
  });
});
