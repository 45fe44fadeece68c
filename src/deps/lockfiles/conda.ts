/**
 * Conda environment files (`environment.yml`,
 * https://docs.conda.io/projects/conda/en/latest/user-guide/tasks/manage-environments.html#create-env-file-manually):
 * the `pip:` section is read as requirement lines; conda packages are reported only where they
 * are the same project as a PyPI package (see {@link CONDA_TO_PYPI}), because OSV's PyPI records
 * are what Bulwark matches against.
 */
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { BulwarkError } from '../../errors.js';
import type { DependencyFact } from '../types.js';
import { normalizePypiName, purlOf, type LockfileProblem } from './common.js';
import { parseRequirementLine, parseRequirementsFile } from './requirements.js';
import type { ParsedBody } from './toml-locks.js';

/**
 * Conda package names that are the same project (same sources, same version numbers) as a PyPI
 * package. Conda-forge and the defaults channel mostly use the PyPI name; the exceptions that
 * matter for ML projects are PyTorch (`pytorch` -> `torch`) and a few `py-` prefixed builds.
 * Packages not listed (python, cudatoolkit, libstdcxx-ng, mkl, ...) are native builds with no
 * PyPI advisory stream and are not reported; nor are the installers `pip` and `setuptools`, which
 * every environment lists unpinned so that its `pip:` section can run.
 */
export const CONDA_TO_PYPI: Readonly<Record<string, string>> = Object.freeze({
  pytorch: 'torch',
  'pytorch-cpu': 'torch',
  'pytorch-gpu': 'torch',
  torchvision: 'torchvision',
  torchaudio: 'torchaudio',
  'pytorch-lightning': 'pytorch-lightning',
  lightning: 'lightning',
  tensorflow: 'tensorflow',
  'tensorflow-gpu': 'tensorflow-gpu',
  'tensorflow-cpu': 'tensorflow-cpu',
  keras: 'keras',
  jax: 'jax',
  jaxlib: 'jaxlib',
  numpy: 'numpy',
  scipy: 'scipy',
  pandas: 'pandas',
  'scikit-learn': 'scikit-learn',
  'py-xgboost': 'xgboost',
  xgboost: 'xgboost',
  lightgbm: 'lightgbm',
  transformers: 'transformers',
  tokenizers: 'tokenizers',
  'huggingface_hub': 'huggingface-hub',
  'huggingface-hub': 'huggingface-hub',
  datasets: 'datasets',
  safetensors: 'safetensors',
  accelerate: 'accelerate',
  onnx: 'onnx',
  onnxruntime: 'onnxruntime',
  mlflow: 'mlflow',
  pillow: 'pillow',
  pyyaml: 'pyyaml',
  jinja2: 'jinja2',
  requests: 'requests',
  urllib3: 'urllib3',
  aiohttp: 'aiohttp',
  cryptography: 'cryptography',
  protobuf: 'protobuf',
  werkzeug: 'werkzeug',
  flask: 'flask',
  fastapi: 'fastapi',
  gradio: 'gradio',
  nltk: 'nltk',
  joblib: 'joblib',
  tqdm: 'tqdm',
});

/**
 * A conda match spec's name and version (https://docs.conda.io/projects/conda-build/en/latest/resources/package-spec.html):
 * `[channel::]name[ =version[=build]]`, or `name==version`, `name>=v`. Conda's single `=1.26`
 * means `1.26.*`, so it is a pin only with a build string (`=2.5.1=py3.11_cuda12.1_0`) or when
 * the version has three or more release segments (`=1.26.4`, which is how environments pin).
 */
export function parseCondaSpec(spec: string): { name: string; version?: string; specifier?: string } | undefined {
  const s = spec.trim().replace(/^[^\s:]+::/, '');
  const m = /^([A-Za-z0-9_.-]+)\s*(.*)$/.exec(s);
  if (m?.[1] === undefined) return undefined;
  const name = m[1];
  const rest = (m[2] ?? '').replace(/\s+/g, '');
  if (rest === '') return { name, specifier: '' };
  const exact = /^==([^=,|*<>!]+)$/.exec(rest);
  if (exact?.[1] !== undefined) return { name, version: exact[1] };
  const single = /^=([^=,|<>!]+?)(?:=(\S+))?$/.exec(rest);
  if (single?.[1] !== undefined && !single[1].includes('*')) {
    const segments = single[1].split('+')[0]?.split('.').length ?? 0;
    if (single[2] !== undefined || segments >= 3) return { name, version: single[1] };
  }
  return { name, specifier: rest };
}

function lineOf(node: Node | null | undefined, lc: LineCounter): number | undefined {
  const start = node?.range?.[0];
  return start === undefined ? undefined : lc.linePos(start).line;
}

/**
 * Parses an environment.yml. `pip:` entries are requirement lines (a `-r file` there is resolved
 * relative to the environment file, inside `root`); conda entries become PyPI facts through
 * {@link CONDA_TO_PYPI}. All are direct (the file is a declaration).
 */
export async function parseCondaEnvironment(path: string, shown: string, root: string): Promise<ParsedBody & { includes: string[] }> {
  const text = await readFile(path, 'utf8');
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e?.linePos?.[0]?.line;
    throw new BulwarkError('PARSE_ERROR', `${shown}${line !== undefined ? `:${line}` : ''}: not valid YAML (${e?.message.split('\n')[0] ?? ''})`);
  }
  if (!isMap(doc.contents)) throw new BulwarkError('PARSE_ERROR', `${shown}: expected a mapping with a 'dependencies' list`);
  const deps = doc.contents.get('dependencies', true);
  const dependencies: DependencyFact[] = [];
  const problems: LockfileProblem[] = [];
  const includes: string[] = [];
  if (deps === undefined) return { dependencies, problems, includes };
  if (!isSeq(deps)) throw new BulwarkError('PARSE_ERROR', `${shown}:${lineOf(deps, lc) ?? 1}: 'dependencies' must be a list`);
  for (const item of deps.items) {
    const line = lineOf(item as Node, lc);
    const at = line !== undefined ? { line } : {};
    if (isScalar(item) && typeof item.value === 'string') {
      const spec = parseCondaSpec(item.value);
      if (spec === undefined) {
        problems.push({ ...at, message: `dependencies: not a conda package spec '${item.value}'` });
        continue;
      }
      const pypi = CONDA_TO_PYPI[spec.name.toLowerCase()];
      if (pypi === undefined) continue;
      dependencies.push({
        ecosystem: 'PyPI',
        name: pypi,
        normalizedName: normalizePypiName(pypi),
        ...(spec.version !== undefined ? { version: spec.version } : { specifier: spec.specifier ?? '' }),
        purl: purlOf('PyPI', pypi, spec.version),
        source: { file: shown, ...at },
        direct: true,
      });
    } else if (isMap(item) && item.has('pip')) {
      const pip = item.get('pip', true);
      if (!isSeq(pip)) {
        problems.push({ ...at, message: `dependencies.pip: expected a list of requirement strings` });
        continue;
      }
      for (const p of pip.items) {
        const pline = lineOf(p as Node, lc);
        const pat = pline !== undefined ? { line: pline } : {};
        if (!isScalar(p) || typeof p.value !== 'string') {
          problems.push({ ...pat, message: `dependencies.pip: expected a requirement string` });
          continue;
        }
        const parsed = parseRequirementLine(p.value.trim());
        switch (parsed.kind) {
          case 'requirement':
            dependencies.push({ ...parsed.fact, source: { file: shown, ...pat }, direct: true });
            break;
          case 'include': {
            const target = resolve(dirname(path), parsed.path);
            const relTarget = relative(root, target).split(sep).join('/');
            if (relTarget.startsWith('../')) {
              problems.push({ ...pat, message: `dependencies.pip: include '${parsed.path}' is outside the scanned root; not followed` });
              break;
            }
            try {
              const r = await parseRequirementsFile(target, root);
              includes.push(relTarget, ...r.includes);
              if (!parsed.constraint) dependencies.push(...r.dependencies);
              problems.push(...r.problems.map((q) => ({ ...pat, message: `${relTarget}${q.line !== undefined ? `:${q.line}` : ''}: ${q.message}` })));
            } catch (err) {
              problems.push({ ...pat, message: `dependencies.pip: cannot read '${parsed.path}' (${(err as Error).message})` });
            }
            break;
          }
          case 'option':
            break;
          case 'problem':
            problems.push({ ...pat, message: `dependencies.pip: ${parsed.message}` });
            break;
          default: {
            const never: never = parsed;
            return never;
          }
        }
      }
    } else {
      problems.push({ ...at, message: 'dependencies: expected a package spec string or a pip: list' });
    }
  }
  return { dependencies, problems, includes };
}
