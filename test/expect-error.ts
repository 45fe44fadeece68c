import { expect } from 'vitest';

import { isBulwarkError } from '../src/errors.js';

/** Asserts that `p` rejects with a BulwarkError of `code` whose message matches `pattern`. */
export async function expectError(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBulwarkError(err), `expected a BulwarkError, got ${String(err)}`).toBe(true);
  if (isBulwarkError(err)) {
    expect(err.code).toBe(code);
    expect(err.message).toMatch(pattern);
  }
}
