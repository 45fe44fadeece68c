import type { HfConfigFacts } from '../../formats/hf-config/index.js';
import { defineRuleMeta, locationIn } from '../meta.js';
import type { FileFacts, Rule } from '../types.js';

/** BW-REP-001: the repository asks transformers to import its own (or another repository's) Python code. */
export const remoteCodeRule: Rule<HfConfigFacts> = {
  meta: defineRuleMeta('BW-REP-001', 'repo/remote-code', 'Model repository runs custom code (trust_remote_code)', 'high', [
    'cwe-94',
    'owasp-ml06',
    'atlas:AML.T0010',
  ]),
  appliesTo: 'hf-config',
  *check(facts, ctx) {
    const refs = [
      ...facts.autoMap.map((e) => ({ what: `auto_map ${e.key} -> ${e.ref}`, module: e.module, remote: e.remoteRepo, pointer: e.pointer })),
      ...facts.customPipelines.map((p) => ({ what: `custom pipeline ${p.task} -> ${p.impl}`, module: p.impl.replace(/\.py$/, ''), remote: undefined, pointer: p.pointer })),
    ];
    if (refs.length === 0) return;
    const files = [...new Set(refs.filter((r) => r.remote === undefined).map((r) => `${r.module.replace(/\./g, '/')}.py`))].sort();
    const present = new Set(facts.codeFiles?.filter((f) => f.present).map((f) => f.file) ?? []);
    const listed = files.map((f) => (facts.codeFiles ? `${f}${present.has(f) ? '' : ' (missing)'}` : f));
    const remotes = [...new Set(refs.flatMap((r) => (r.remote === undefined ? [] : [r.remote])))].sort();
    const parts = [
      `${facts.fileName} makes transformers import and run Python code when loaded with trust_remote_code=True (${refs.map((r) => r.what).join('; ')})`,
      listed.length ? `code files: ${listed.join(', ')}` : '',
      remotes.length ? `code from other repositories: ${remotes.join(', ')}` : '',
    ].filter(Boolean);
    yield {
      ruleId: 'BW-REP-001',
      message: `${parts.join('. ')}. Review that code before loading, or pin a reviewed revision.`,
      location: locationIn(ctx, undefined, refs[0]?.pointer),
      evidence: { code_files: files.join(','), remote_repos: remotes.join(',') },
      key: 'remote-code',
    };
  },
};

/** Extensions of native code, loaded by Python extension imports or ctypes. */
export const NATIVE_EXTENSIONS: ReadonlySet<string> = new Set(['.so', '.dll', '.dylib', '.pyd', '.exe', '.node']);
/** Extensions of scripts and notebooks. */
export const SCRIPT_EXTENSIONS: ReadonlySet<string> = new Set(['.py', '.pyc', '.sh', '.bash', '.zsh', '.ps1', '.bat', '.cmd', '.ipynb']);

/** BW-REP-002: executable content where models and data belong. */
export const executableContentRule: Rule<FileFacts> = {
  meta: defineRuleMeta('BW-REP-002', 'repo/executable-content', 'Executable content in a model artifact', 'medium', ['cwe-506', 'owasp-ml06', 'atlas:AML.T0010']),
  appliesTo: 'file',
  *check(facts, ctx) {
    const native = facts.detected === 'native' || NATIVE_EXTENSIONS.has(facts.extension);
    const script = !native && (facts.detected === 'script' || SCRIPT_EXTENSIONS.has(facts.extension));
    if (!native && !script) return;
    const kind = native ? 'native code (a shared library or executable)' : 'a script or notebook';
    yield {
      ruleId: 'BW-REP-002',
      severity: native ? 'high' : 'medium',
      message: `This is ${kind} inside a model artifact (${facts.extension || 'no extension'}, content ${facts.detected}). Loaders with custom-code options, and people, run such files; models and data need none.`,
      location: locationIn(ctx),
      evidence: { extension: facts.extension, detected: facts.detected },
      key: native ? 'native' : 'script',
    };
  },
};

/** The repository rules. */
export const REPO_RULES = [remoteCodeRule, executableContentRule] as const;
