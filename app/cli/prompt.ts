// Asking the person at the terminal before doing something that cannot be undone.
import { createInterface } from 'node:readline/promises';

/** Yes only for an explicit "y"/"yes" on a terminal; without a terminal, no. */
export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
