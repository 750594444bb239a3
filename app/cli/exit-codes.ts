// The CLI's exit statuses, decided in one place (docs/architecture.md, README "Exit status"):
// 0 done, 1 refused or failed, 2 usage (bad options or values: nothing ran), 3 done but with
// data left that needs the person (migrate), 130 interrupted. Errors map by their category
// (app/errors.ts), as the HTTP layer maps them to status codes.
import { AppError } from '../errors.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, needsYou: 3, interrupted: 130 } as const;

/** A command-line usage problem (a missing or conflicting option): exit 2. */
export class UsageError extends AppError {
  constructor(message: string) {
    super('invalid', message);
  }
}

export function exitCodeOf(e: unknown): number {
  if (e instanceof AppError && (e.category === 'invalid' || e.category === 'bad-request')) return EXIT.usage;
  return EXIT.failed;
}

/**
 * Runs a command's action: its own status, or for an error its message (prefixed by the
 * command's name) and the status its category gives (SPD_DEBUG=1 adds the stack).
 */
export function commandAction<A extends unknown[]>(name: string, fn: (...args: A) => Promise<number> | number) {
  return async (...args: A): Promise<void> => {
    try {
      process.exitCode = await fn(...args);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      process.stderr.write(`${name}: ${process.env.SPD_DEBUG ? (err.stack ?? err.message) : err.message}\n`);
      process.exitCode = exitCodeOf(err);
    }
  };
}
