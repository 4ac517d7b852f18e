// The preload (bundled to one CommonJS file, as a sandboxed preload must be).
// Exposes exactly the LabApi as window.lab; one of the two files that import
// 'electron'.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { labCalls, type LabApi, type LabEvent } from './common/lab-api.js';

// ipcRenderer.invoke wraps errors as "Error invoking remote method 'lab:call': Error: <message>".
const unwrap = (e: unknown): never => {
  const message = e instanceof Error ? e.message : String(e);
  throw new Error(message.replace(/^Error invoking remote method '[^']*': (?:\w*Error: )?/, ''));
};

const api: LabApi = {
  ...labCalls((method, params) => ipcRenderer.invoke('lab:call', method, params).catch(unwrap)),
  onEvent(listener) {
    const handler = (_event: Electron.IpcRendererEvent, e: LabEvent): void => listener(e);
    ipcRenderer.on('lab:event', handler);
    return () => {
      ipcRenderer.removeListener('lab:event', handler);
    };
  },
  fileToPath: async (file) => {
    const path = webUtils.getPathForFile(file);
    if (!path) throw new Error(`${file.name} has no path on disk`);
    return path;
  },
};

contextBridge.exposeInMainWorld('lab', api);
