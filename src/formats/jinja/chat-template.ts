/**
 * Static analysis of Jinja chat templates (GGUF `tokenizer.chat_template`, `tokenizer_config.json`
 * `chat_template`). Inference servers render these templates, and a renderer without a sandbox (the
 * llama-cpp-python flaw, CVE-2024-34359) lets a template walk Python objects to the interpreter:
 * `''.__class__.__mro__[1].__subclasses__()`, `cycler.__init__.__globals__.os.popen('id')`. Even a
 * sandboxed renderer is one bug away from that, so a template that reaches for these at all is hostile:
 * benign chat templates only loop over messages and print strings.
 *
 * The template is parsed with `@huggingface/jinja` into an AST and the AST is walked; nothing is
 * ever rendered. Because that parser and Python's Jinja can disagree (a template the JS parser
 * rejects may still run in Python), the text inside `{{ }}` / `{% %}` tags is also scanned lexically,
 * and what only the lexical scan sees is reported too.
 */
import * as jinja from '@huggingface/jinja';

/**
 * The two entry points used. The package's declaration files import siblings without extensions,
 * which NodeNext resolution cannot follow, so the signatures are stated here.
 */
const { parse, tokenize } = jinja as unknown as { tokenize: (source: string) => unknown; parse: (tokens: unknown) => unknown };

/** What a hazard is. */
export type ChatTemplateHazardKind =
  /** An attribute, variable or keyword named like a Python dunder (`x.__class__`, `__builtins__`). */
  | 'dunder-name'
  /** A string literal holding a dunder (`x['__class__']`, `x|attr('__globals__')`, `'{0.__class__}'`). */
  | 'dunder-string'
  /** A dunder built from pieces (`'__cla' ~ 'ss__'`, `['__', 'class', '__']|join`, `'_' * 2`). */
  | 'constructed-dunder'
  /** An attribute that reaches processes, code or interpreter state (`.popen(...)`, `.f_globals`, `os.system`). */
  | 'dangerous-attribute'
  /** A call of a Python builtin that executes or imports (`eval(...)`, `__import__(...)`, `getattr(...)`). */
  | 'dangerous-call'
  /** `|attr(x)` with a name computed at render time: static review cannot tell what it reaches. */
  | 'dynamic-attribute'
  /** Found by the lexical scan of the tags only: a dunder (or an escaped underscore) inside a tag. */
  | 'lexical-dunder'
  /** Found by the lexical scan of the tags only: a dangerous attribute or call inside a tag. */
  | 'lexical-dangerous';

/** One suspicious construct of a template. */
export interface ChatTemplateHazard {
  kind: ChatTemplateHazardKind;
  /** The name reached (`__class__`, `popen`), after folding constant strings. */
  name: string;
  /** The expression, re-rendered from the AST (or the tag text for lexical hazards), at most 200 characters. */
  expression: string;
  /** Path in the AST (`body[2].body[0].callee.object.property`), or `text@<offset>` for lexical hazards. */
  path: string;
  /** 1-based line of the template where the name (or its first piece) occurs, when found. */
  line?: number;
}

/** Facts about one chat template. */
export interface ChatTemplateFacts {
  kind: 'chat-template';
  /** Length of the template in characters. */
  length: number;
  /** True when `@huggingface/jinja` parsed it. */
  parsed: boolean;
  /** Why it did not parse (or was not parsed: too large). */
  parseError?: string;
  /** AST nodes visited. */
  nodes: number;
  /** True when a bound stopped the walk or the hazard list early. */
  incomplete: boolean;
  hazards: ChatTemplateHazard[];
}

/** Bounds of {@link analyseChatTemplate}. */
export interface ChatTemplateLimits {
  /** Templates longer than this are scanned lexically only (real ones are < 50 000 characters). */
  maxChars: number;
  /** AST nodes visited. */
  maxNodes: number;
  /** Hazards recorded. */
  maxHazards: number;
}

/** The defaults. */
export const DEFAULT_CHAT_TEMPLATE_LIMITS: Readonly<ChatTemplateLimits> = Object.freeze({
  maxChars: 1_000_000,
  maxNodes: 500_000,
  maxHazards: 200,
});

/** `__name__`-style names (two leading underscores is enough: `__class`, `__import__`). */
const DUNDER = /__[A-Za-z][A-Za-z0-9_]*/;

/** Attributes that reach interpreter state whether or not they are called. */
const STATE_ATTRS = new Set([
  'builtins', 'f_globals', 'f_locals', 'f_back', 'f_builtins', 'func_globals', 'gi_frame', 'gi_code', 'cr_frame', 'ag_frame',
  'tb_frame', 'co_code', 'environ', 'os', 'sys', 'subprocess', 'importlib', 'modules',
]);
/** Attributes that run code or processes when called (`os.popen('id')`, `x.mro()`). */
const CALLED_ATTRS = new Set([
  'popen', 'system', 'spawn', 'spawnl', 'spawnv', 'execv', 'execve', 'execl', 'fork', 'check_output', 'check_call', 'run', 'call', 'Popen',
  'eval', 'exec', 'execfile', 'compile', 'import_module', 'load_module', 'exec_module', 'getattr', 'setattr', 'delattr', 'open', 'mro',
  'subclasses', 'load', 'loads',
]);
/** Builtins that execute, import or reach attributes by name. */
const DANGEROUS_CALLS = new Set(['eval', 'exec', 'execfile', 'compile', '__import__', 'import', 'getattr', 'setattr', 'delattr', 'open', 'globals', 'locals', 'vars', 'input', 'breakpoint']);

/** An AST node as `@huggingface/jinja` builds it: class instances with a `type` discriminator. */
interface Node {
  type: string;
  [k: string]: unknown;
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

function str(n: Node, k: string): string | undefined {
  const v = n[k];
  return typeof v === 'string' ? v : undefined;
}

function child(n: Node, k: string): Node | undefined {
  const v = n[k];
  return isNode(v) ? v : undefined;
}

function children(n: Node, k: string): Node[] {
  const v = n[k];
  return Array.isArray(v) ? v.filter(isNode) : [];
}

function opOf(n: Node): string | undefined {
  const o = n.operator;
  return typeof o === 'object' && o !== null && typeof (o as { value?: unknown }).value === 'string' ? (o as { value: string }).value : undefined;
}

/** The callee name of a filter (`trim`, `attr('x')` -> `attr`). */
function filterName(f: Node | undefined): string | undefined {
  if (!f) return undefined;
  if (f.type === 'Identifier') return str(f, 'value');
  if (f.type === 'CallExpression') {
    const c = child(f, 'callee');
    return c?.type === 'Identifier' ? str(c, 'value') : undefined;
  }
  return undefined;
}

const MAX_FOLD = 4096;

/**
 * The constant string an expression evaluates to, when it is built only from literals with `~`, `+`,
 * `*` and the string filters attackers use to hide names (join, format, replace, reverse, lower,
 * upper, string). `folded` collects the nodes taken part, so nested pieces are not reported twice.
 */
function fold(n: Node, folded: Set<Node>, depth = 0): string | undefined {
  if (depth > 40) return undefined;
  let out: string | undefined;
  switch (n.type) {
    case 'StringLiteral':
      out = str(n, 'value');
      break;
    case 'IntegerLiteral':
    case 'FloatLiteral': {
      const v = n.value;
      out = typeof v === 'number' ? String(v) : undefined;
      break;
    }
    case 'BinaryExpression': {
      const op = opOf(n);
      const l = child(n, 'left');
      const r = child(n, 'right');
      if (!l || !r) break;
      if (op === '~' || op === '+') {
        const a = fold(l, folded, depth + 1);
        const b = a === undefined ? undefined : fold(r, folded, depth + 1);
        if (a !== undefined && b !== undefined && a.length + b.length <= MAX_FOLD) out = a + b;
      } else if (op === '*') {
        const a = fold(l, folded, depth + 1);
        const b = fold(r, folded, depth + 1);
        const [s, k] = r.type === 'IntegerLiteral' ? [a, Number(b)] : [b, Number(a)];
        if (s !== undefined && Number.isInteger(k) && k >= 0 && s.length * k <= MAX_FOLD) out = s.repeat(k);
      }
      break;
    }
    case 'ArrayLiteral':
    case 'TupleLiteral':
      break;
    case 'FilterExpression': {
      const operand = child(n, 'operand');
      const f = child(n, 'filter');
      const name = filterName(f);
      const args = f?.type === 'CallExpression' ? children(f, 'args').map((a) => fold(a, folded, depth + 1)) : [];
      if (!operand || name === undefined) break;
      if (name === 'join' && (operand.type === 'ArrayLiteral' || operand.type === 'TupleLiteral')) {
        const parts = children(operand, 'value').map((p) => fold(p, folded, depth + 1));
        const sep = args[0] ?? '';
        if (parts.every((p) => p !== undefined)) out = parts.join(sep);
        break;
      }
      const s = fold(operand, folded, depth + 1);
      if (s === undefined) break;
      switch (name) {
        case 'lower':
          out = s.toLowerCase();
          break;
        case 'upper':
          out = s.toUpperCase();
          break;
        case 'reverse':
          out = [...s].reverse().join('');
          break;
        case 'string':
        case 'trim':
          out = name === 'trim' ? s.trim() : s;
          break;
        case 'replace':
          if (args[0] !== undefined && args[1] !== undefined && args[0] !== '') out = s.split(args[0]).join(args[1]).slice(0, MAX_FOLD);
          break;
        case 'format': {
          // Python %-formatting with %s/%c/%d: `'%c%c' | format(95, 95)` is '__'.
          let i = 0;
          out = s.replace(/%([scd%])/g, (_m, c: string) => {
            if (c === '%') return '%';
            const a = args[i++];
            if (a === undefined) return '';
            return c === 'c' && /^\d+$/.test(a) ? String.fromCharCode(Number(a) & 0xffff) : a;
          });
          break;
        }
        default:
          break;
      }
      break;
    }
    default:
      break;
  }
  if (out !== undefined) folded.add(n);
  return out;
}

/**
 * A concatenation (`~`, `+`) with unknown parts replaced by U+0000: `'__' ~ a ~ 'bals__'` gives
 * `__\0bals__`, a dunder whatever `a` is. `seen` collects the nodes taken part.
 */
function partialFold(n: Node, folded: Set<Node>, seen: Set<Node>, depth = 0): string {
  const op = n.type === 'BinaryExpression' ? opOf(n) : undefined;
  const l = child(n, 'left');
  const r = child(n, 'right');
  if (depth < 40 && (op === '~' || op === '+') && l && r) {
    seen.add(n);
    const s = partialFold(l, folded, seen, depth + 1) + partialFold(r, folded, seen, depth + 1);
    return s.length > MAX_FOLD ? s.slice(0, MAX_FOLD) : s;
  }
  return fold(n, folded) ?? '\0';
}

/** A dunder with unknown parts (see partialFold). */
const PARTIAL_DUNDER = /__[A-Za-z0-9\0][A-Za-z0-9_\0]*__/;

/** Renders an expression back to Jinja-like text, bounded (for messages and evidence). */
function render(n: Node | undefined, budget = { left: 200 }, depth = 0): string {
  if (!n) return '';
  if (budget.left <= 0 || depth > 24) return '…';
  const r = (c: Node | undefined): string => render(c, budget, depth + 1);
  let s: string;
  switch (n.type) {
    case 'Identifier':
      s = str(n, 'value') ?? '?';
      break;
    case 'StringLiteral':
      s = JSON.stringify(str(n, 'value') ?? '').replace(/^"|"$/g, "'");
      break;
    case 'IntegerLiteral':
    case 'FloatLiteral':
      s = String(n.value);
      break;
    case 'MemberExpression': {
      const prop = child(n, 'property');
      s = n.computed === true ? `${r(child(n, 'object'))}[${r(prop)}]` : `${r(child(n, 'object'))}.${r(prop)}`;
      break;
    }
    case 'CallExpression':
      s = `${r(child(n, 'callee'))}(${children(n, 'args').map(r).join(', ')})`;
      break;
    case 'BinaryExpression':
      s = `${r(child(n, 'left'))} ${opOf(n) ?? '?'} ${r(child(n, 'right'))}`;
      break;
    case 'UnaryExpression':
      s = `${opOf(n) ?? '?'} ${r(child(n, 'argument'))}`;
      break;
    case 'FilterExpression':
      s = `${r(child(n, 'operand'))}|${r(child(n, 'filter'))}`;
      break;
    case 'TestExpression':
      s = `${r(child(n, 'operand'))} is ${n.negate === true ? 'not ' : ''}${r(child(n, 'test'))}`;
      break;
    case 'ArrayLiteral':
      s = `[${children(n, 'value').map(r).join(', ')}]`;
      break;
    case 'TupleLiteral':
      s = `(${children(n, 'value').map(r).join(', ')})`;
      break;
    case 'KeywordArgumentExpression':
      s = `${r(child(n, 'key'))}=${r(child(n, 'value'))}`;
      break;
    case 'Ternary':
      s = `${r(child(n, 'trueExpr'))} if ${r(child(n, 'condition'))} else ${r(child(n, 'falseExpr'))}`;
      break;
    case 'SliceExpression':
      s = `${r(child(n, 'start'))}:${r(child(n, 'stop'))}${child(n, 'step') ? `:${r(child(n, 'step'))}` : ''}`;
      break;
    default:
      s = `<${n.type}>`;
  }
  budget.left -= s.length;
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}

function lineOf(text: string, needle: string): number | undefined {
  if (needle === '') return undefined;
  const i = text.indexOf(needle);
  if (i < 0) return undefined;
  let line = 1;
  for (let k = 0; k < i; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}

/** Statement fields whose elements are statements (a StringLiteral there is template text, not code). */
const BODY_FIELDS = new Set(['body', 'alternate', 'defaultBlock']);

interface Walk {
  text: string;
  hazards: ChatTemplateHazard[];
  seen: Set<string>;
  limits: ChatTemplateLimits;
  incomplete: boolean;
}

function add(w: Walk, h: Omit<ChatTemplateHazard, 'line'>, needle: string = h.name): void {
  const key = `${h.kind}|${h.name}|${h.path}`;
  if (w.seen.has(key)) return;
  w.seen.add(key);
  if (w.hazards.length >= w.limits.maxHazards) {
    w.incomplete = true;
    return;
  }
  const line = lineOf(w.text, needle);
  w.hazards.push(line === undefined ? h : { ...h, line });
}

/** Judges an attribute name reached from `owner` (a member expression or an attr filter). */
function judgeName(w: Walk, name: string, owner: Node, path: string, how: 'identifier' | 'literal' | 'constructed', called: boolean, needle: string): void {
  if (DUNDER.test(name)) {
    const kind: ChatTemplateHazardKind = how === 'identifier' ? 'dunder-name' : how === 'literal' ? 'dunder-string' : 'constructed-dunder';
    add(w, { kind, name: DUNDER.exec(name)?.[0] ?? name, expression: render(owner), path }, needle);
  } else if (STATE_ATTRS.has(name) || (called && CALLED_ATTRS.has(name))) {
    add(w, { kind: 'dangerous-attribute', name, expression: render(owner), path }, needle);
  }
}

/** Walks the AST iteratively (a hostile template can nest deeper than the call stack allows). */
function walkAst(program: Node, w: Walk): number {
  const stack: { n: Node; path: string; text: boolean; called: boolean }[] = [{ n: program, path: '', text: false, called: false }];
  const folded = new Set<Node>();
  const partial = new Set<Node>();
  const handledLiterals = new Set<Node>();
  let nodes = 0;
  while (stack.length > 0) {
    const item = stack.pop();
    if (!item) break;
    const { n, path } = item;
    if (++nodes > w.limits.maxNodes) {
      w.incomplete = true;
      break;
    }
    const at = (k: string): string => (path === '' ? k : `${path}.${k}`);
    switch (n.type) {
      case 'Identifier': {
        const v = str(n, 'value') ?? '';
        if (DUNDER.test(v)) add(w, { kind: 'dunder-name', name: v, expression: v, path });
        break;
      }
      case 'StringLiteral': {
        const v = str(n, 'value') ?? '';
        if (!item.text && !handledLiterals.has(n) && DUNDER.test(v)) {
          add(w, { kind: 'dunder-string', name: DUNDER.exec(v)?.[0] ?? v, expression: render(n), path }, DUNDER.exec(v)?.[0]);
        }
        break;
      }
      case 'MemberExpression': {
        const prop = child(n, 'property');
        if (prop && n.computed !== true && prop.type === 'Identifier') {
          judgeName(w, str(prop, 'value') ?? '', n, at('property'), 'identifier', item.called, str(prop, 'value') ?? '');
          handledLiterals.add(prop);
          // The identifier itself is judged here, with the member expression as context.
          w.seen.add(`dunder-name|${str(prop, 'value') ?? ''}|${at('property')}`);
        } else if (prop) {
          const s = fold(prop, folded);
          if (s !== undefined) {
            const how = prop.type === 'StringLiteral' ? 'literal' : 'constructed';
            const needle = prop.type === 'StringLiteral' ? s : render(prop).slice(0, 6);
            judgeName(w, s, n, at('property'), how, item.called, needle);
            if (prop.type === 'StringLiteral') handledLiterals.add(prop);
          }
        }
        break;
      }
      case 'CallExpression': {
        const callee = child(n, 'callee');
        if (callee?.type === 'Identifier') {
          const name = str(callee, 'value') ?? '';
          if (DANGEROUS_CALLS.has(name)) add(w, { kind: 'dangerous-call', name, expression: render(n), path }, `${name}(`);
        }
        break;
      }
      case 'FilterExpression': {
        const f = child(n, 'filter');
        if (filterName(f) === 'attr' && f?.type === 'CallExpression') {
          const arg = children(f, 'args')[0];
          const s = arg ? fold(arg, folded) : undefined;
          if (arg && s === undefined) {
            add(w, { kind: 'dynamic-attribute', name: render(arg), expression: render(n), path: at('filter.args[0]') }, 'attr(');
          } else if (arg && s !== undefined) {
            judgeName(w, s, n, at('filter.args[0]'), arg.type === 'StringLiteral' ? 'literal' : 'constructed', true, arg.type === 'StringLiteral' ? s : 'attr(');
            if (arg.type === 'StringLiteral') handledLiterals.add(arg);
          }
        }
        break;
      }
      default:
        break;
    }
    // Constant strings built from pieces, wherever they are used (a `set` can carry them to a subscript).
    if ((n.type === 'BinaryExpression' || n.type === 'FilterExpression') && !folded.has(n)) {
      const s = fold(n, folded);
      if (s !== undefined && DUNDER.test(s)) {
        add(w, { kind: 'constructed-dunder', name: DUNDER.exec(s)?.[0] ?? s, expression: render(n), path }, render(n).slice(0, 6));
      }
    }
    if (n.type === 'BinaryExpression' && !folded.has(n) && !partial.has(n)) {
      const s = partialFold(n, folded, partial);
      const m = PARTIAL_DUNDER.exec(s);
      if (m && s.includes('\0')) {
        add(w, { kind: 'constructed-dunder', name: m[0].replace(/\0/g, '?'), expression: render(n), path }, render(n).slice(0, 6));
      }
    }
    // Children, pushed in reverse so the walk goes in source order.
    const next: typeof stack = [];
    for (const [k, v] of Object.entries(n)) {
      if (k === 'type' || k === 'operator') continue;
      if (Array.isArray(v)) {
        v.forEach((c, i) => {
          if (isNode(c)) next.push({ n: c, path: at(`${k}[${i}]`), text: BODY_FIELDS.has(k) && c.type === 'StringLiteral', called: false });
        });
      } else if (v instanceof Map) {
        let i = 0;
        for (const [mk, mv] of v as Map<unknown, unknown>) {
          if (isNode(mk)) next.push({ n: mk, path: at(`${k}.key[${i}]`), text: false, called: false });
          if (isNode(mv)) next.push({ n: mv, path: at(`${k}.value[${i}]`), text: false, called: false });
          i++;
        }
      } else if (isNode(v)) {
        next.push({ n: v, path: at(k), text: false, called: n.type === 'CallExpression' && k === 'callee' });
      }
    }
    for (let i = next.length - 1; i >= 0; i--) {
      const c = next[i];
      if (c) stack.push(c);
    }
  }
  return nodes;
}

/** Python escapes that spell an underscore (`\x5f`, `\u005f`, `\137`) or `%c`-building of names. */
const ESCAPED_UNDERSCORE = /\\x5f|\\u005f|\\U0000005f|\\137|\\N\{LOW LINE\}/i;
const LEXICAL_DANGEROUS = /\.\s*(popen|system|spawn\w*|check_output|check_call|import_module|exec_module|load_module)\s*\(|\.\s*(f_globals|func_globals|gi_frame|f_back|f_builtins)\b|\b(__import__|getattr|eval|exec|compile)\s*\(/;

/** Scans the inside of every `{{ }}` / `{% %}` tag (comments skipped) with regular expressions. */
function lexicalScan(text: string, w: Walk): void {
  const tag = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}|\{#[\s\S]*?#\}/g;
  let m: RegExpExecArray | null;
  let count = 0;
  while ((m = tag.exec(text)) !== null) {
    if (++count > w.limits.maxNodes) {
      w.incomplete = true;
      return;
    }
    const body = m[1] ?? m[2];
    if (body === undefined) continue;
    const where = `text@${m.index}`;
    const shown = m[0].length > 200 ? `${m[0].slice(0, 199)}…` : m[0];
    const d = DUNDER.exec(body);
    const esc = ESCAPED_UNDERSCORE.exec(body);
    const bad = LEXICAL_DANGEROUS.exec(body);
    if (d) addLexical(w, 'lexical-dunder', d[0], shown, where, m.index);
    else if (esc) addLexical(w, 'lexical-dunder', esc[0], shown, where, m.index);
    if (bad) addLexical(w, 'lexical-dangerous', bad[1] ?? bad[2] ?? bad[3] ?? bad[0], shown, where, m.index);
  }
}

function addLexical(w: Walk, kind: ChatTemplateHazardKind, name: string, expression: string, path: string, offset: number): void {
  // Already explained by the AST walk: the lexical scan only adds what the parser did not see.
  if (w.hazards.some((h) => h.name === name || h.name.startsWith(name) || name.startsWith(h.name))) return;
  const before = w.hazards.length;
  add(w, { kind, name, expression, path });
  const h = w.hazards[before];
  if (h) {
    let line = 1;
    for (let k = 0; k < offset; k++) if (w.text.charCodeAt(k) === 10) line++;
    h.line = line;
  }
}

/**
 * Analyses one chat template: parses it (never renders it), walks the AST for dunder access,
 * dangerous attributes and calls, and names built to hide them; then scans the tags lexically for
 * what the parser may have missed. Pure and bounded: no I/O, no evaluation, no exceptions.
 */
export function analyseChatTemplate(text: string, limits: Partial<ChatTemplateLimits> = {}): ChatTemplateFacts {
  const lim: ChatTemplateLimits = { ...DEFAULT_CHAT_TEMPLATE_LIMITS, ...limits };
  const w: Walk = { text, hazards: [], seen: new Set(), limits: lim, incomplete: false };
  const facts: ChatTemplateFacts = { kind: 'chat-template', length: text.length, parsed: false, nodes: 0, incomplete: false, hazards: w.hazards };
  if (text.length > lim.maxChars) {
    facts.parseError = `template of ${text.length} characters is above the ${lim.maxChars}-character bound; scanned lexically only`;
  } else {
    let program: unknown;
    try {
      program = parse(tokenize(text));
    } catch (err) {
      // SyntaxError from the parser, or RangeError when nesting exhausts the parser's recursion.
      const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      facts.parseError = msg.length > 300 ? `${msg.slice(0, 299)}…` : msg;
    }
    if (isNode(program)) {
      facts.parsed = true;
      facts.nodes = walkAst(program, w);
    }
  }
  lexicalScan(text, w);
  facts.incomplete = w.incomplete;
  return facts;
}
