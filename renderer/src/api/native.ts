// What only the desktop app can do (through the preload bridge); absent in a browser.
interface NativeBridge {
  chooseFolder?: () => Promise<string | null>;
}

export function canChooseFolder(): boolean {
  return typeof (window as { desk?: NativeBridge }).desk?.chooseFolder === 'function';
}

/** The OS folder picker; undefined when cancelled or not available. */
export async function chooseFolder(): Promise<string | undefined> {
  return (await (window as { desk?: NativeBridge }).desk?.chooseFolder?.()) ?? undefined;
}
