import {
  ALLOWED_CALLABLES,
  ALLOWED_CLASS_NAMESPACES,
  DENIED_CALLABLES,
  DENIED_NAME_PARTS,
  type DenyReason,
} from './callable-lists.js';

/** Why a global was denied: a built-in list reason, the user's deny-list, or a dangerous name shape. */
export type DenyVerdictReason = DenyReason | 'user deny-list' | 'dunder attribute path' | 'dangerous attribute name';

/** The verdict on one `module.name`. */
export type CallableVerdict =
  | { verdict: 'deny'; reason: DenyVerdictReason; matched: string }
  | { verdict: 'allow'; matched: string }
  | { verdict: 'unknown' };

/** User additions to the built-in lists (from the config file). */
export interface CallableListOptions {
  /** Extra allowed `module.name` patterns; they never override a built-in deny. */
  allow?: readonly string[];
  /** Extra denied `module.name` patterns. */
  deny?: readonly string[];
}

/** A compiled policy: judge any global in O(parts). */
export interface CallablePolicy {
  judge(module: string, name: string): CallableVerdict;
}

interface PatternSet<T> {
  exact: Map<string, T>;
  /** Module prefixes from `x.*` patterns, mapped to what the pattern stands for. */
  prefixes: Map<string, T>;
}

function compile<T>(patterns: Iterable<[string, T]>): PatternSet<T> {
  const exact = new Map<string, T>();
  const prefixes = new Map<string, T>();
  for (const [p, v] of patterns) {
    if (p.endsWith('.*')) prefixes.set(p.slice(0, -2), v);
    else exact.set(p, v);
  }
  return { exact, prefixes };
}

/** Finds the `x.*` prefix entry that covers `dotted` (the module itself or any parent module). */
function prefixMatch<T>(prefixes: Map<string, T>, dotted: string): T | undefined {
  let cut = dotted.length;
  while (cut > 0) {
    const hit = prefixes.get(dotted.slice(0, cut));
    if (hit !== undefined) return hit;
    cut = dotted.lastIndexOf('.', cut - 1);
  }
  return undefined;
}

function isClassName(name: string): boolean {
  return /^_?[A-Z][A-Za-z0-9_]*$/.test(name);
}

/**
 * Compiles the built-in lists plus the user's additions. Deny always wins over allow, so a user
 * allow-list entry can silence an unknown global but never a denied one.
 */
export function compileCallablePolicy(opts: CallableListOptions = {}): CallablePolicy {
  const deny = compile<{ reason: DenyVerdictReason; pattern: string }>([
    ...DENIED_CALLABLES.map((e): [string, { reason: DenyVerdictReason; pattern: string }] => [e.pattern, e]),
    ...(opts.deny ?? []).map((p): [string, { reason: DenyVerdictReason; pattern: string }] => [p, { reason: 'user deny-list', pattern: p }]),
  ]);
  const allow = compile<string>([...ALLOWED_CALLABLES, ...(opts.allow ?? [])].map((p) => [p, p]));

  return {
    judge(module: string, name: string): CallableVerdict {
      const full = `${module}.${name}`;
      const denied = deny.exact.get(full) ?? prefixMatch(deny.prefixes, full);
      if (denied) return { verdict: 'deny', reason: denied.reason, matched: denied.pattern };
      const parts = name.split('.');
      // A dotted name is an attribute walk at load time: dunders reach interpreter internals.
      if (parts.some((p) => p.startsWith('__') && p.endsWith('__') && p.length > 4) && parts.length > 1) {
        return { verdict: 'deny', reason: 'dunder attribute path', matched: full };
      }
      const badPart = parts.find((p) => DENIED_NAME_PARTS.has(p));
      if (badPart !== undefined) return { verdict: 'deny', reason: 'dangerous attribute name', matched: `*.${badPart}` };
      // Module segments too: `torch.serialization.os` would be the os module under another name.
      const modParts = module.split('.');
      const badModPart = modParts.slice(1).find((p) => DENIED_NAME_PARTS.has(p));
      if (badModPart !== undefined) return { verdict: 'deny', reason: 'dangerous attribute name', matched: `*.${badModPart}.*` };

      const exactAllow = allow.exact.get(full);
      if (exactAllow) return { verdict: 'allow', matched: exactAllow };
      if (parts.length === 1) {
        const prefixAllow = prefixMatch(allow.prefixes, module);
        if (prefixAllow) return { verdict: 'allow', matched: prefixAllow };
        const ns = ALLOWED_CLASS_NAMESPACES.find((n) => module === n || module.startsWith(`${n}.`));
        if (ns !== undefined && isClassName(name)) return { verdict: 'allow', matched: `${ns}.* (classes)` };
      }
      return { verdict: 'unknown' };
    },
  };
}
