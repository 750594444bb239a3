// One wording of a local CLI's state for the terminal (`cluster detect`) and the Cluster screen.
// Pure (no execa), so the renderer can import it.
import type { ToolStatus } from './tools.js';

export function toolStatusText(t: ToolStatus): string {
  if ('version' in t) return t.problem ? `${t.version}, but: ${t.problem}` : t.version;
  if ('hint' in t) return `not installed — ${t.hint}`;
  return `error — ${t.error}`;
}
