// What the Electron preload gives the page, declared once: the IPC channels between preload
// and main, and the `window.desk` object. Pure (types and two strings): the preload, the main
// process and the renderer all take them from here. The sandboxed preload cannot load modules,
// so it repeats the channel names as literals typed against these (the compiler checks them).

export const IPC_CHANNELS = { connection: 'desk:connection', chooseFolder: 'desk:choose-folder' } as const;

/** The desk API's address and per-launch token, as the main process hands them to the page. */
export interface DeskConnection {
  url: string;
  token: string;
}

/** `window.desk` in the desktop app; absent in a browser. */
export interface DeskBridge extends DeskConnection {
  platform: string;
  /** The OS folder picker; null when cancelled. */
  chooseFolder: () => Promise<string | null>;
}
