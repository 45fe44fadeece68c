/**
 * A parser for the subset of Python literal syntax that NumPy writes in `.npy` headers (NumPy
 * reads them with `ast.literal_eval`). It is a data parser, never an evaluator: it knows strings
 * (both quote kinds, triple quotes, r/u/b prefixes, escapes, implicit concatenation), integers
 * (decimal, hex, octal, binary, underscores, Python 2 `L` suffix, one sign), True/False/None,
 * tuples, lists and dicts, and comments; anything else is an error. Input length and nesting depth
 * are bounded. What `literal_eval` accepts beyond that (floats, sets, complex numbers) never
 * appears in a header NumPy can load, so rejecting it only makes Bulwark report the file as not
 * analysed rather than guess.
 */

/** A parsed literal, as a discriminated union (ints are bigint: Python ints are unbounded). */
export type PyLiteral =
  | { kind: 'str'; value: string }
  /** A bytes literal; `value` holds one char per byte (latin-1). */
  | { kind: 'bytes'; value: string }
  | { kind: 'int'; value: bigint }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'tuple'; items: PyLiteral[] }
  | { kind: 'list'; items: PyLiteral[] }
  /** Entries in source order; a repeated key appears twice (Python keeps the last). */
  | { kind: 'dict'; entries: [PyLiteral, PyLiteral][] };

/** Bounds of {@link parsePyLiteral}. */
export interface PyLiteralLimits {
  /** Characters of input. */
  maxLength: number;
  /** Nesting of tuples, lists and dicts. */
  maxDepth: number;
}

/** Defaults: far above any real header, far below anything that could hurt. */
export const DEFAULT_PY_LITERAL_LIMITS: Readonly<PyLiteralLimits> = Object.freeze({ maxLength: 4 * 1024 * 1024, maxDepth: 64 });

/** The outcome: a value, or where parsing stopped and what was expected there. */
export type PyLiteralResult = { ok: true; value: PyLiteral } | { ok: false; position: number; expected: string };

/** Unwinds the recursive descent to the top, where it becomes a `{ ok: false }` result. */
class Failure extends Error {
  constructor(
    readonly position: number,
    readonly expected: string,
  ) {
    super(`expected ${expected} at ${position}`);
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** Parses one literal spanning the whole of `text` (surrounding whitespace and comments allowed). */
export function parsePyLiteral(text: string, limits: PyLiteralLimits = DEFAULT_PY_LITERAL_LIMITS): PyLiteralResult {
  if (text.length > limits.maxLength) {
    return { ok: false, position: limits.maxLength, expected: `at most ${limits.maxLength} characters` };
  }
  let i = 0;

  const fail = (expected: string, at = i): never => {
    throw new Failure(at, expected);
  };

  const skipSpace = (): void => {
    while (i < text.length) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') i++;
      else if (c === '#') while (i < text.length && text[i] !== '\n') i++;
      else if (c === '\\' && text[i + 1] === '\n') i += 2;
      else break;
    }
  };

  const stringStart = (): boolean => /^(?:[rRuUbB]|[bB][rR]|[rR][bB])?['"]/.test(text.slice(i, i + 3));

  const readString = (): { bytes: boolean; value: string } => {
    const start = i;
    let prefix = '';
    while (text[i] !== "'" && text[i] !== '"') prefix += (text[i++] ?? '').toLowerCase();
    const raw = prefix.includes('r');
    const bytes = prefix.includes('b');
    const q = text[i] ?? '';
    const triple = text.startsWith(q.repeat(3), i);
    const close = triple ? q.repeat(3) : q;
    i += close.length;
    let value = '';
    for (;;) {
      if (i >= text.length) fail(`closing ${close}`, start);
      if (text.startsWith(close, i)) {
        i += close.length;
        break;
      }
      const c = text[i] ?? '';
      if (c === '\n' && !triple) fail(`closing ${close} before the end of the line`);
      if (c !== '\\') {
        value += c;
        i++;
        continue;
      }
      const n = text[i + 1];
      if (n === undefined) fail('an escape sequence');
      if (raw) {
        // In raw strings a backslash only keeps the next character from closing the string.
        value += `\\${n}`;
        i += 2;
        continue;
      }
      i += 2;
      const simple = SIMPLE_ESCAPES[n ?? ''];
      if (simple !== undefined) value += simple;
      else if (n === '\n') continue;
      else if (n !== undefined && /[0-7]/.test(n)) {
        let digits = n;
        while (digits.length < 3 && /[0-7]/.test(text[i] ?? '')) digits += text[i++];
        value += String.fromCharCode(parseInt(digits, 8));
      } else if (n === 'x' || (!bytes && (n === 'u' || n === 'U'))) {
        const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
        const hex = text.slice(i, i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail(`${len} hex digits after \\${n}`);
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) fail('a code point up to U+10FFFF');
        value += String.fromCodePoint(code);
        i += len;
      } else if (n === 'N' && !bytes) {
        fail('a string without \\N{...} escapes');
      } else {
        value += `\\${n}`;
      }
    }
    if (bytes && [...text.slice(start, i)].some((ch) => (ch.codePointAt(0) ?? 0) > 0x7f)) fail('only ASCII characters in a bytes literal', start);
    return { bytes, value };
  };

  const readInt = (): PyLiteral => {
    const start = i;
    let sign = '';
    if (text[i] === '-' || text[i] === '+') {
      sign = text[i] === '-' ? '-' : '';
      i++;
      skipSpace();
    }
    const m = /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?\d)*|0(?:_?0)*)[lL]?/.exec(text.slice(i));
    if (m === null) fail('an integer', start);
    const token = m?.[0] ?? '';
    if (/^[.eEjJ]/.test(text.slice(i + token.length))) fail('an integer (floats and complex numbers never appear in headers)', start);
    i += token.length;
    return { kind: 'int', value: BigInt(sign + token.replace(/_/g, '').replace(/[lL]$/, '')) };
  };

  const readSequence = (closeChar: string, depth: number): PyLiteral[] => {
    const items: PyLiteral[] = [];
    for (;;) {
      skipSpace();
      if (text[i] === closeChar) {
        i++;
        return items;
      }
      items.push(readValue(depth + 1));
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] !== closeChar) fail(`',' or '${closeChar}'`);
    }
  };

  const readValue = (depth: number): PyLiteral => {
    skipSpace();
    const c = text[i];
    if (c === undefined) return fail('a value');
    // `depth` counts the containers around this value; opening one more must stay within the bound.
    if ((c === '(' || c === '[' || c === '{') && depth >= limits.maxDepth) fail(`nesting at most ${limits.maxDepth} deep`);
    if (stringStart()) {
      const first = readString();
      let value = first.value;
      // Adjacent literals concatenate ('|' 'O' is '|O'); mixing str and bytes is a syntax error.
      for (;;) {
        const save = i;
        skipSpace();
        if (!stringStart()) {
          i = save;
          break;
        }
        const at = i;
        const next = readString();
        if (next.bytes !== first.bytes) fail('str and bytes literals not to be concatenated', at);
        value += next.value;
      }
      return first.bytes ? { kind: 'bytes', value } : { kind: 'str', value };
    }
    if (c === '(') {
      i++;
      skipSpace();
      if (text[i] === ')') {
        i++;
        return { kind: 'tuple', items: [] };
      }
      const first = readValue(depth + 1);
      skipSpace();
      // A parenthesised value without a comma is the value itself, not a tuple.
      if (text[i] === ')') {
        i++;
        return first;
      }
      if (text[i] !== ',') fail("',' or ')'");
      i++;
      return { kind: 'tuple', items: [first, ...readSequence(')', depth)] };
    }
    if (c === '[') {
      i++;
      return { kind: 'list', items: readSequence(']', depth) };
    }
    if (c === '{') {
      i++;
      const entries: [PyLiteral, PyLiteral][] = [];
      for (;;) {
        skipSpace();
        if (text[i] === '}') {
          i++;
          return { kind: 'dict', entries };
        }
        const key = readValue(depth + 1);
        skipSpace();
        if (text[i] !== ':') fail("':' after a dict key");
        i++;
        entries.push([key, readValue(depth + 1)]);
        skipSpace();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("',' or '}'");
      }
    }
    if (c === '-' || c === '+' || (c >= '0' && c <= '9')) return readInt();
    const word = /^[A-Za-z_]\w*/.exec(text.slice(i))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      i += word.length;
      return word === 'None' ? { kind: 'none' } : { kind: 'bool', value: word === 'True' };
    }
    return fail('a string, integer, True, False, None, tuple, list or dict');
  };

  try {
    const value = readValue(0);
    skipSpace();
    if (i < text.length) fail('the end of the literal');
    return { ok: true, value };
  } catch (err) {
    if (err instanceof Failure) return { ok: false, position: err.position, expected: err.expected };
    throw err;
  }
}

function quote(value: string, prefix: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === "'") out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f || (prefix === 'b' && code > 0x7f)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${prefix}'${out}'`;
}

/** Renders a literal back in Python syntax (`[('a', '<i4'), ('b', '|O')]`), for messages and evidence. */
export function renderPyLiteral(v: PyLiteral): string {
  switch (v.kind) {
    case 'str':
      return quote(v.value, '');
    case 'bytes':
      return quote(v.value, 'b');
    case 'int':
      return v.value.toString();
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'tuple':
      return v.items.length === 1 ? `(${renderPyLiteral(v.items[0] as PyLiteral)},)` : `(${v.items.map(renderPyLiteral).join(', ')})`;
    case 'list':
      return `[${v.items.map(renderPyLiteral).join(', ')}]`;
    case 'dict':
      return `{${v.entries.map(([k, x]) => `${renderPyLiteral(k)}: ${renderPyLiteral(x)}`).join(', ')}}`;
    default: {
      const unreachable: never = v;
      return String(unreachable);
    }
  }
}
