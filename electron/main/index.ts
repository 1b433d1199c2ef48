// The Electron main process: one locked-down window (DESIGN.md, "Electron rules") over the desk in core/.
import { app, BrowserWindow, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDeskHandlers } from '../../core/api/handlers.ts';
import { Desk, resolveHome } from '../../core/desk.ts';
import { registerDeskIpc } from './ipc.ts';
import { KeychainProtector } from './keychain.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const rendererIndex = join(here, '../renderer/index.html');
const rendererUrl = process.env.ELECTRON_RENDERER_URL; // set by `electron-vite dev`

/** Only our own top-level renderer frame may call the desk. */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  const url = frame.url;
  if (rendererUrl) return url.startsWith(rendererUrl);
  return url.startsWith('file://') && fileURLToPath(url.split(/[?#]/)[0]!) === rendererIndex;
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    title: 'Custody',
    show: false,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  if (rendererUrl) void win.loadURL(rendererUrl);
  else void win.loadFile(rendererIndex);
}

async function openDesk(): Promise<Desk | null> {
  const home = resolveHome();
  if (!Desk.isInitialized(home)) return null;
  const desk = Desk.open(home);
  if (KeychainProtector.available() && desk.hasProtector('os-keychain')) {
    await desk.unlock(new KeychainProtector()).catch(() => undefined); // falls back to the passphrase screen
  }
  return desk;
}

void app.whenReady().then(async () => {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  const desk = await openDesk();
  if (desk) {
    const api = createDeskHandlers(desk, {
      afterUnlock: async (d) => {
        if (KeychainProtector.available() && !d.hasProtector('os-keychain')) await d.addProtector(new KeychainProtector());
      },
    });
    registerDeskIpc(ipcMain, api, isTrustedSender);
    app.on('will-quit', () => desk.close());
  }
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
