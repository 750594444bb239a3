import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time comparison of a presented key with the expected one. Both are hashed first so
 * the comparison takes the same time whatever the lengths (timingSafeEqual needs equal sizes).
 */
export function keyMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
