import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyseChatTemplate } from './chat-template.js';

const hazards = (t: string): [string, string][] => analyseChatTemplate(t).hazards.map((h) => [h.kind, h.name]);

describe('analyseChatTemplate: hostile templates', () => {
  it('finds dunder attribute chains', () => {
    expect(hazards("{{ ''.__class__.__mro__[1].__subclasses__() }}")).toEqual([
      ['dunder-name', '__subclasses__'],
      ['dunder-name', '__mro__'],
      ['dunder-name', '__class__'],
    ]);
  });

  it('finds dunder and dangerous keys reached by subscript, attr filter, concatenation and escapes', () => {
    expect(hazards("{{ x['__globals__'] }}")).toEqual([['dunder-string', '__globals__']]);
    expect(hazards("{{ x|attr('__class__') }}")).toEqual([['dunder-string', '__class__']]);
    expect(hazards("{{ x|attr('\\x5f\\x5fclass\\x5f\\x5f') }}").map(([k]) => k)).toContain('dunder-string');
    expect(hazards("{{ x['__cla' ~ 'ss__'] }}")).toContainEqual(['constructed-dunder', '__class__']);
    expect(hazards("{{ x['_' * 2 ~ 'class' ~ '_' * 2] }}")).toEqual([['constructed-dunder', '__class__']]);
    expect(hazards("{{ x|attr(['_','_','init','_','_']|join) }}")).toEqual([['constructed-dunder', '__init__']]);
    expect(hazards("{{ x|attr('%c%cinit%c%c'|format(95,95,95,95)) }}")).toEqual([['constructed-dunder', '__init__']]);
    expect(hazards("{{ x|attr('__TINI__'|lower|reverse) }}").map(([, n]) => n)).toContain('__init__');
    expect(hazards("{{ x['popen']('id') }}")).toEqual([['dangerous-attribute', 'popen']]);
  });

  it('finds constructed names carried through a variable, and dynamic attr names', () => {
    expect(hazards("{% set a = 'glo' %}{% set n = '__' ~ a ~ 'bals__' %}{{ x[n] }}")).toEqual([['constructed-dunder', '__?bals__']]);
    expect(hazards("{{ '<|' ~ message.role ~ '|>' + '_' ~ x }}")).toEqual([]);
    expect(hazards("{% set n = ['__', 'globals', '__']|join %}{{ x|attr(n) }}")).toEqual([
      ['constructed-dunder', '__globals__'],
      ['dynamic-attribute', 'n'],
    ]);
  });

  it('finds process and code execution', () => {
    const h = hazards("{{ cycler.__init__.__globals__.os.popen('echo bulwark-inert-fixture').read() }}");
    expect(h).toContainEqual(['dangerous-attribute', 'popen']);
    expect(h).toContainEqual(['dangerous-attribute', 'os']);
    expect(hazards("{{ __import__('os') }}")).toContainEqual(['dangerous-call', '__import__']);
    expect(hazards("{{ getattr(x, 'y') }}")).toEqual([['dangerous-call', 'getattr']]);
    expect(hazards('{{ x.f_globals }}')).toEqual([['dangerous-attribute', 'f_globals']]);
    expect(hazards("{{ '{0.__class__}'.format(x) }}")).toEqual([['dunder-string', '__class__']]);
  });

  it('reports the expression, the AST path and the line', () => {
    const [h] = analyseChatTemplate("{% for m in messages %}\n{{ m.__class__ }}\n{% endfor %}").hazards;
    expect(h).toEqual({ kind: 'dunder-name', name: '__class__', expression: 'm.__class__', path: 'body[0].body[1].property', line: 2 });
  });

  it('falls back to a lexical scan of the tags when the parser rejects the template', () => {
    const f = analyseChatTemplate('{% with a = 1 %}{{ a.__class__ }}{% endwith %}');
    expect(f.parsed).toBe(false);
    expect(f.parseError).toContain('with');
    expect(f.hazards.map((h) => [h.kind, h.name, h.path])).toEqual([['lexical-dunder', '__class__', 'text@16']]);
    expect(analyseChatTemplate("{% with %}{{ x.popen('id') }}{% endwith %}").hazards.map((h) => h.kind)).toEqual(['lexical-dangerous']);
    expect(analyseChatTemplate('{% with %}{{ x[\'\\x5f\\x5fa\'] }}').hazards.map((h) => h.kind)).toEqual(['lexical-dunder']);
  });

  it('survives nesting that exhausts the parser, and bounds size and hazards', () => {
    const deep = analyseChatTemplate(`{{ ${'('.repeat(20000)}1${')'.repeat(20000)} }}`);
    expect(deep.parsed).toBe(false);
    const big = analyseChatTemplate(`{{ x.__class__ }}${'a'.repeat(2000)}`, { maxChars: 1000 });
    expect([big.parsed, big.hazards.map((h) => h.kind)]).toEqual([false, ['lexical-dunder']]);
    const many = analyseChatTemplate('{{ x.__a__ }}'.repeat(50).replace(/__a__/g, () => `__a${Math.random().toString(36).slice(2, 6)}__`), { maxHazards: 5 });
    expect(many.hazards).toHaveLength(5);
    expect(many.incomplete).toBe(true);
  });
});

describe('analyseChatTemplate: benign templates', () => {
  it('text outside tags is not code', () => {
    expect(hazards('Use __init__ and os.popen( freely in prose {{ "ok" }}')).toEqual([]);
  });

  it('common constructs give no hazard', () => {
    for (const t of [
      "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}{{ raise_exception('x') }}{% endif %}{{ message.content | trim }}{% endfor %}",
      '{{ tools | tojson(indent=4) }}{% if message.tool_calls is defined %}{{ message.tool_calls[0].function.arguments }}{% endif %}',
      "{% set ns = namespace(system='') %}{% set ns.system = 'x' %}{{ ns.system }}{{ strftime_now('%d %b %Y') }}",
      "{{ messages | selectattr('role', 'equalto', 'user') | list | length }}{{ message['content'].split('</think>')[-1].lstrip('\\n') }}",
      "{%- macro render(m) -%}{{ m.content }}{%- endmacro -%}{{ render(messages[0]) }}{{ 'a' if x else 'b' }}{{ messages[1:] }}",
    ]) {
      const f = analyseChatTemplate(t);
      expect([t, f.parsed, f.hazards]).toEqual([t, true, []]);
    }
  });
});

describe('analyseChatTemplate fuzz', () => {
  const pieces = ['{{', '}}', '{%', '%}', '{#', '#}', 'for', 'in', 'if', 'endif', 'endfor', 'set', '=', 'x', '.', '__class__', "'", '"', '(', ')', '[', ']', '|', 'attr', '~', '*', '2', ',', ' ', 'join', 'format', '%c', '\\x5f', 'macro', 'endmacro'];
  it('any text gives facts, never an exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(fc.constantFrom(...pieces), { maxLength: 60 }).map((a) => a.join(''))), (t) => {
        const f = analyseChatTemplate(t, { maxHazards: 20 });
        expect(f.kind).toBe('chat-template');
        expect(f.hazards.length).toBeLessThanOrEqual(20);
      }),
      { numRuns: 1500 },
    );
  });
});
