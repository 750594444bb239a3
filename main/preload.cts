// Preload (sandboxed, so CommonJS): gives the page the desk API's address and token, asked of
// the main process once (it answers only for the desk page), and a folder picker. Nothing of
// Node or Electron itself reaches the page.
import { contextBridge, ipcRenderer } from 'electron';
import type { DeskBridge, DeskConnection, IPC_CHANNELS } from '../app/desk/bridge.js';

// Literals (a sandboxed preload loads no modules), typed against the one declaration.
const CONNECTION: (typeof IPC_CHANNELS)['connection'] = 'desk:connection';
const CHOOSE_FOLDER: (typeof IPC_CHANNELS)['chooseFolder'] = 'desk:choose-folder';

const connection = ipcRenderer.sendSync(CONNECTION) as DeskConnection | null;
if (connection) {
  const bridge: DeskBridge = {
    url: connection.url,
    token: connection.token,
    platform: process.platform,
    chooseFolder: () => ipcRenderer.invoke(CHOOSE_FOLDER),
  };
  contextBridge.exposeInMainWorld('desk', bridge);
}
