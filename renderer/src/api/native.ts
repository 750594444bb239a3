// What only the desktop app can do (through the preload bridge); absent in a browser.
import type { DeskBridge } from '../../../app/desk/bridge.js';

type NativeBridge = Partial<DeskBridge>;

export function canChooseFolder(): boolean {
  return typeof (window as { desk?: NativeBridge }).desk?.chooseFolder === 'function';
}

/** The OS folder picker; undefined when cancelled or not available. */
export async function chooseFolder(): Promise<string | undefined> {
  return (await (window as { desk?: NativeBridge }).desk?.chooseFolder?.()) ?? undefined;
}
