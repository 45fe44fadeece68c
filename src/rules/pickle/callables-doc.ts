import { ALLOWED_CALLABLES, ALLOWED_CLASS_NAMESPACES, DENIED_CALLABLES, DENIED_NAME_PARTS, type DenyReason } from './callable-lists.js';

/**
 * Renders docs/callables.md from the lists themselves, so the documentation cannot drift from
 * the judgement (a test compares the two; `npm run docs` rewrites the file).
 */
export function renderCallablesDoc(): string {
  const byReason = new Map<DenyReason, string[]>();
  for (const e of DENIED_CALLABLES) byReason.set(e.reason, [...(byReason.get(e.reason) ?? []), e.pattern]);
  const code = (s: string): string => `\`${s}\``;
  const lines = [
    '# Pickle callables: the deny-list and the allow-list',
    '',
    '<!-- Generated from src/rules/pickle/callable-lists.ts by `npm run docs`; do not edit by hand. -->',
    '',
    'Every global a pickle imports (`GLOBAL`, `STACK_GLOBAL`, `INST`) is judged as `module.name`, after',
    "Python's own Python-2-to-3 name mapping. Deny beats allow; a name on neither list is reported as",
    'BW-PKL-002 (medium) so it can be reviewed and allowed in the config file.',
    '',
    'Patterns: `a.b.*` matches every name in module `a.b` and its submodules; anything else is exact.',
    '',
    '## Denied (BW-PKL-001, critical)',
    '',
  ];
  for (const [reason, patterns] of byReason) {
    lines.push(`### ${reason[0]?.toUpperCase() ?? ''}${reason.slice(1)}`, '', patterns.map(code).join(', '), '');
  }
  lines.push(
    '### Dangerous name parts',
    '',
    'A global whose name, or any part of a dotted name, or any submodule segment is one of these is',
    'denied whatever its module, because a module that imports `os` exposes it as `<module>.os`:',
    '',
    [...DENIED_NAME_PARTS].map(code).join(', '),
    '',
    'A dotted name that walks through a dunder attribute (`print.__self__.__dict__`) is denied too.',
    '',
    '## Allowed (no finding)',
    '',
    'Callables that real models contain and that only rebuild data. A `.*` entry here allows single',
    'names in that module tree, never a dotted attribute path.',
    '',
    ALLOWED_CALLABLES.map(code).join(', '),
    '',
    `Also allowed by shape: class names (an upper-case first letter, or \`_\` then upper-case) anywhere under ${ALLOWED_CLASS_NAMESPACES.map(code).join(', ')}; functions there are not allowed.`,
    '',
    '## Your own lists',
    '',
    'In the scan config (`--config bulwark-scan.yaml`):',
    '',
    '```yaml',
    'allow: [mylib.models.MyNet, "mylib.layers.*"]   # never overrides a deny',
    'deny: ["mycompany.internal.*"]',
    '```',
    '',
  );
  return lines.join('\n');
}
