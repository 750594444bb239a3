// Preload (sandboxed, so CommonJS): gives the page the desk API's address and token, asked of
// the main process once (it answers only for the desk page), and a folder picker. Nothing of
// Node or Electron itself reaches the page.
import { contextBridge, ipcRenderer } from 'electron';

const connection = ipcRenderer.sendSync('desk:connection') as { url: string; token: string } | null;
if (connection) {
  contextBridge.exposeInMainWorld('desk', {
    url: connection.url,
    token: connection.token,
    platform: process.platform,
    chooseFolder: (): Promise<string | null> => ipcRenderer.invoke('desk:choose-folder'),
  });
}
