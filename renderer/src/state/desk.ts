// The one desk client of this window (set once at start-up from the page or the preload bridge).
import type { DeskClient } from '../api/client.js';

let current: DeskClient | undefined;

export function setDesk(client: DeskClient): void {
  current = client;
}

export function desk(): DeskClient {
  if (!current) throw new Error('the desk client is not set up yet');
  return current;
}
