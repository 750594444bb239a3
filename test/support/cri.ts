/** One line in the CRI log format kwok replays. */
export function criLine(text: string, stream: 'stdout' | 'stderr' = 'stdout', at = new Date()): string {
  return `${at.toISOString()} ${stream} F ${text}\n`;
}
