// Preload (sandboxed, so CommonJS): exposes only what the renderer needs, nothing of Node.
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('sandboxDesk', { platform: process.platform });
