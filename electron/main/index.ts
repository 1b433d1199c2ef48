// The Electron main process: one locked-down window (DESIGN.md, "Electron rules") over the desk in core/.
import { app, BrowserWindow, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Desk, resolveHome } from '../../core/desk.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const rendererIndex = join(here, '../renderer/index.html');
const rendererUrl = process.env.ELECTRON_RENDERER_URL; // set by `electron-vite dev`

/** Only our own top-level renderer frame may call the desk. */
function assertTrustedSender(event: IpcMainInvokeEvent): void {
  const frame = event.senderFrame;
  const url = frame?.url ?? '';
  const trusted = frame !== null && frame.parent === null &&
    (rendererUrl ? url.startsWith(rendererUrl) : url.startsWith('file://') && fileURLToPath(url.split('#')[0]!.split('?')[0]!) === rendererIndex);
  if (!trusted) throw new Error(`refused IPC from an untrusted frame: ${url}`);
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

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ipcMain.handle('desk:info', (event) => {
    assertTrustedSender(event);
    const home = resolveHome();
    if (!Desk.isInitialized(home)) return { initialized: false, home, org: null };
    const desk = Desk.open(home);
    try {
      return { initialized: true, home, org: desk.info.org };
    } finally {
      desk.close();
    }
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
