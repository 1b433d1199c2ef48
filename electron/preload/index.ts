// Exposes hand-picked desk methods to the renderer; never ipcRenderer itself.
import { contextBridge, ipcRenderer } from 'electron';

contextBridge.exposeInMainWorld('custody', {
  info: (): Promise<{ initialized: boolean; home: string; org: string | null }> => ipcRenderer.invoke('desk:info'),
});
