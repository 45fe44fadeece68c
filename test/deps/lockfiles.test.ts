import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../src/errors.js';
import {
  findLockfiles,
  lockfileKindOf,
  normalizePypiName,
  parseCondaSpec,
  parseLockfile,
  parseRequirementLine,
  purlOf,
  readDependencies,
  type DependencyFact,
  type LockfileFacts,
} from '../../src/deps/index.js';
import { fixture, tempDir } from '../helpers.js';

const PROJECT = fixture('deps/ml-project');

function dep(facts: LockfileFacts, name: string): DependencyFact {
  const d = facts.dependencies.find((x) => x.normalizedName === normalizePypiName(name) || x.name === name);
  if (d === undefined) throw new Error(`${name} not in ${facts.file}`);
  return d;
}

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});
function tmp(files: Record<string, string>): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(t.dir, name, '..'), { recursive: true });
    writeFileSync(join(t.dir, name), text);
  }
  return t.dir;
}

describe('names and purls', () => {
  it('normalises PyPI names with PEP 503', () => {
    expect(normalizePypiName('Scikit_Learn')).toBe('scikit-learn');
    expect(normalizePypiName('zope..interface')).toBe('zope-interface');
    expect(normalizePypiName('PyYAML')).toBe('pyyaml');
  });
  it('builds purls with encoded versions and npm scopes', () => {
    expect(purlOf('PyPI', 'Torch', '2.5.1+cu121')).toBe('pkg:pypi/torch@2.5.1%2Bcu121');
    expect(purlOf('npm', '@tensorflow/tfjs-node', '4.22.0')).toBe('pkg:npm/%40tensorflow/tfjs-node@4.22.0');
  });
});

describe('requirements.txt', () => {
  it('reads pins, hashes, markers, extras, includes, constraints and references', async () => {
    const f = await parseLockfile(join(PROJECT, 'requirements.txt'), PROJECT);
    expect(f.kind).toBe('requirements');
    expect(f.problems).toEqual([]);
    const torch = dep(f, 'torch');
    expect(torch).toMatchObject({ version: '2.5.1+cu121', direct: true, source: { file: 'requirements.txt', line: 7 }, purl: 'pkg:pypi/torch@2.5.1%2Bcu121' });
    expect(torch.hashes).toHaveLength(2);
    expect(dep(f, 'torchvision').marker).toBe('platform_system == "Linux"');
    expect(dep(f, 'transformers')).toMatchObject({ version: '4.46.3', extras: ['torch', 'sentencepiece'] });
    expect(dep(f, 'accelerate')).toMatchObject({ specifier: '>=0.34' });
    expect(dep(f, 'accelerate').version).toBeUndefined();
    expect(dep(f, 'datasets')).toMatchObject({ specifier: '' });
    expect(dep(f, 'scikit-learn')).toMatchObject({ version: '1.5.2' }); // pinned by constraints.txt
    expect(dep(f, 'numpy')).toMatchObject({ version: '1.26.4', source: { file: 'requirements/base.txt', line: 2 } });
    expect(dep(f, 'feature_store').reference).toEqual({ kind: 'editable', value: 'git+https://github.com/example-org/feature-store.git@v1.4.2#egg=feature_store' });
    expect(dep(f, 'custom_ops')).toMatchObject({ version: '0.3.1', reference: { kind: 'url' } });
    expect(f.includes).toEqual(['requirements/base.txt', 'constraints.txt']);
    expect(f.dependencies.some((d) => d.source.file === 'constraints.txt')).toBe(false);
  });

  it('parses single lines', () => {
    expect(parseRequirementLine('foo===1.0')).toMatchObject({ kind: 'requirement', fact: { version: '1.0' } });
    expect(parseRequirementLine('foo==1.*')).toMatchObject({ kind: 'requirement', fact: { specifier: '==1.*' } });
    expect(parseRequirementLine('foo (>=1,<2)')).toMatchObject({ kind: 'requirement', fact: { specifier: '>=1,<2' } });
    expect(parseRequirementLine('bar @ https://x.org/bar-1.0.tar.gz ; os_name == "nt"')).toMatchObject({
      kind: 'requirement',
      fact: { name: 'bar', marker: 'os_name == "nt"', reference: { kind: 'url' } },
    });
    expect(parseRequirementLine('git+https://github.com/a/b.git@main#egg=b')).toMatchObject({ kind: 'requirement', fact: { name: 'b', reference: { kind: 'vcs' } } });
    expect(parseRequirementLine('--index-url https://pypi.org/simple').kind).toBe('option');
    // `-e .` names no package: recorded under the path itself, as a reference, not as a problem.
    expect(parseRequirementLine('-e .')).toMatchObject({ kind: 'requirement', fact: { name: '.', reference: { kind: 'editable', value: '.' } } });
  });

  it('reports one problem per bad line and goes on', async () => {
    const dir = tmp({ 'requirements.txt': 'numpy==1.26.4\nfoo >>= 1\n--bogus-option x\ntorch==2.6.0\n' });
    const f = await parseLockfile(join(dir, 'requirements.txt'), dir);
    expect(f.dependencies.map((d) => d.name)).toEqual(['numpy', 'torch']);
    expect(f.problems).toHaveLength(2);
    expect(f.problems[0]).toMatchObject({ line: 2 });
    expect(f.problems[1]).toMatchObject({ line: 3 });
  });

  it('follows include cycles once, bounds depth and stays inside the root', async () => {
    const files: Record<string, string> = {
      'requirements.txt': '-r a.txt\n-r ../outside.txt\n-r https://example.org/r.txt\n',
      'a.txt': '-r requirements.txt\nnumpy==1.26.4\n-r deep/d0.txt\n',
    };
    for (let i = 0; i < 12; i++) files[`deep/d${i}.txt`] = `pkg${i}==1.0\n-r d${i + 1}.txt\n`;
    const dir = tmp(files);
    const f = await parseLockfile(join(dir, 'requirements.txt'), dir);
    expect(f.dependencies.filter((d) => d.name === 'numpy')).toHaveLength(1);
    expect(f.problems.some((p) => p.message.includes('outside the scanned root'))).toBe(true);
    expect(f.problems.some((p) => p.message.includes('remote include'))).toBe(true);
    expect(f.problems.some((p) => p.message.includes('nests deeper than 10'))).toBe(true);
    expect(f.dependencies.length).toBeLessThan(12);
  });

  it('records a missing include as a problem naming it', async () => {
    const dir = tmp({ 'requirements.txt': 'numpy==1.26.4\n-r missing.txt\n' });
    const f = await parseLockfile(join(dir, 'requirements.txt'), dir);
    expect(f.problems).toEqual([expect.objectContaining({ line: 2, message: expect.stringContaining('missing.txt') as unknown })]);
  });
});

describe('structured lockfiles', () => {
  it('poetry.lock: versions, hashes, direct from pyproject, dev group', async () => {
    const f = await parseLockfile(join(PROJECT, 'poetry.lock'), PROJECT);
    expect(f.kind).toBe('poetry-lock');
    expect(dep(f, 'torch')).toMatchObject({ version: '2.6.0', direct: true, source: { file: 'poetry.lock', line: 37 } });
    expect(dep(f, 'pyyaml')).toMatchObject({ version: '6.0.2', direct: false, name: 'PyYAML' });
    expect(dep(f, 'pytest').direct).toBe(true);
    expect(dep(f, 'fastapi').hashes).toHaveLength(2);
  });

  it('uv.lock: the project entry is not a dependency; its dependencies are direct', async () => {
    const f = await parseLockfile(join(PROJECT, 'research/uv.lock'), PROJECT);
    expect(f.file).toBe('research/uv.lock');
    expect(f.dependencies.map((d) => d.name).sort()).toEqual(['keras', 'numpy', 'ruff', 'transformers']);
    expect(dep(f, 'transformers')).toMatchObject({ version: '4.36.2', direct: true, scope: 'required' });
    expect(dep(f, 'ruff')).toMatchObject({ direct: true, scope: 'dev' });
    expect(dep(f, 'numpy').direct).toBe(false);
  });

  it('Pipfile.lock: default and develop, direct from the Pipfile', async () => {
    const f = await parseLockfile(join(PROJECT, 'notebooks/Pipfile.lock'), PROJECT);
    expect(dep(f, 'pyyaml')).toMatchObject({ version: '5.3.1', scope: 'required', direct: true });
    expect(dep(f, 'black')).toMatchObject({ version: '24.10.0', scope: 'dev', marker: "python_version >= '3.9'" });
    expect(dep(f, 'jupyterlab').source.line).toBe(19);
  });

  it('package-lock.json v3: packages map, scopes, direct from the root entry', async () => {
    const f = await parseLockfile(join(PROJECT, 'web/package-lock.json'), PROJECT);
    expect(f.dependencies).toHaveLength(4);
    expect(dep(f, '@tensorflow/tfjs-node')).toMatchObject({ ecosystem: 'npm', version: '4.22.0', direct: true, purl: 'pkg:npm/%40tensorflow/tfjs-node@4.22.0' });
    expect(dep(f, 'body-parser').direct).toBe(false);
    expect(dep(f, 'vite')).toMatchObject({ scope: 'dev', direct: true });
    expect(dep(f, 'express').hashes?.[0]).toMatch(/^sha512:[0-9a-f]{128}$/);
  });

  it('package-lock.json v1: nested dependencies, top level direct, git references', async () => {
    const dir = tmp({
      'package-lock.json': JSON.stringify(
        {
          name: 'x',
          lockfileVersion: 1,
          dependencies: {
            lodash: { version: '4.17.20', integrity: 'sha512-AAAA' },
            a: { version: '1.0.0', dependencies: { minimist: { version: '0.0.8' } } },
            b: { version: 'github:user/b#abc123' },
          },
        },
        null,
        2,
      ),
    });
    const f = await parseLockfile(join(dir, 'package-lock.json'), dir);
    expect(dep(f, 'lodash')).toMatchObject({ version: '4.17.20', direct: true, source: { line: 5 } });
    expect(dep(f, 'minimist')).toMatchObject({ version: '0.0.8', direct: false });
    expect(dep(f, 'b').reference).toEqual({ kind: 'vcs', value: 'github:user/b#abc123' });
  });

  it('environment.yml: pip section and mapped conda packages', async () => {
    const f = await parseLockfile(join(PROJECT, 'environment.yml'), PROJECT);
    expect(f.kind).toBe('conda-environment');
    expect(dep(f, 'torch')).toMatchObject({ name: 'torch', version: '2.5.1', source: { line: 9 } });
    expect(dep(f, 'numpy').version).toBe('1.26.4');
    expect(dep(f, 'scikit-learn')).toMatchObject({ specifier: '>=1.5' });
    expect(dep(f, 'mlflow')).toMatchObject({ version: '2.17.2', source: { line: 17 } });
    expect(f.dependencies.some((d) => d.name === 'python' || d.name === 'cudatoolkit')).toBe(false);
  });

  it('conda specs: a single = is a pin only with a build or a full version', () => {
    expect(parseCondaSpec('numpy=1.26')).toEqual({ name: 'numpy', specifier: '=1.26' });
    expect(parseCondaSpec('numpy=1.26.4')).toEqual({ name: 'numpy', version: '1.26.4' });
    expect(parseCondaSpec('conda-forge::pytorch=2.5=cuda_0')).toEqual({ name: 'pytorch', version: '2.5' });
    expect(parseCondaSpec('numpy==1.26')).toEqual({ name: 'numpy', version: '1.26' });
  });

  it('a bad entry is a problem; an unparsable document a PARSE_ERROR naming the file', async () => {
    const dir = tmp({
      'poetry.lock': '[[package]]\nname = "ok"\nversion = "1.0"\n\n[[package]]\nname = "broken"\n',
      'bad/poetry.lock': '[[package]\nname=',
      'bad/package-lock.json': '{"packages": ',
      'bad/environment.yml': 'dependencies: [a, b\n',
      'Pipfile.lock': '{"default": {"x": {"version": 3}}}',
    });
    const f = await parseLockfile(join(dir, 'poetry.lock'), dir);
    expect(f.dependencies).toHaveLength(1);
    expect(f.problems).toEqual([expect.objectContaining({ line: 5, message: expect.stringContaining('version') as unknown })]);
    const p = await parseLockfile(join(dir, 'Pipfile.lock'), dir);
    expect(p.problems[0]?.message).toContain('default.x');
    for (const bad of ['bad/poetry.lock', 'bad/package-lock.json', 'bad/environment.yml']) {
      const err: unknown = await parseLockfile(join(dir, bad), dir).catch((e: unknown) => e);
      expect(isBulwarkError(err, 'PARSE_ERROR')).toBe(true);
      expect((err as Error).message).toContain(bad);
    }
  });
});

describe('discovery', () => {
  it('names requirement files by their name or folder, never pip-tools inputs (.in)', () => {
    expect(lockfileKindOf('/p/requirements.txt')).toBe('requirements');
    expect(lockfileKindOf('/p/dev-requirements.txt')).toBe('requirements');
    expect(lockfileKindOf('/p/Requirements-GPU.txt')).toBe('requirements');
    expect(lockfileKindOf('/p/requirements/base.txt')).toBe('requirements');
    expect(lockfileKindOf('/p/requirements.in')).toBeUndefined();
    expect(lockfileKindOf('/p/notes.txt')).toBeUndefined();
  });

  it('finds every lockfile, skipping node_modules and virtualenvs', async () => {
    const dir = tmp({
      'requirements.txt': 'numpy==1.26.4\n',
      'requirements-dev.txt': '-r requirements.txt\npytest==8.3.4\n',
      'node_modules/x/package-lock.json': '{}',
      '.venv/lib/requirements.txt': 'x==1\n',
      'README.md': '',
    });
    const found = await findLockfiles(dir);
    expect(found.map((f) => f.slice(dir.length + 1))).toEqual(['requirements-dev.txt', 'requirements.txt']);
    const all = await readDependencies(dir);
    // requirements.txt is included by requirements-dev.txt: listed once, through its includer.
    expect(all.map((l) => l.file)).toEqual(['requirements-dev.txt']);
    expect(all[0]?.dependencies.map((d) => `${d.name}@${d.source.file}`)).toEqual(['numpy@requirements.txt', 'pytest@requirements-dev.txt']);
  });

  it('reads the whole fixture project', async () => {
    const all = await readDependencies(PROJECT);
    expect(all.map((l) => l.file)).toEqual(['environment.yml', 'notebooks/Pipfile.lock', 'poetry.lock', 'requirements.txt', 'research/uv.lock', 'web/package-lock.json']);
  });
});
