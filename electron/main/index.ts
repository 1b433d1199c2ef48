// The Electron main process: one locked-down window (DESIGN.md, "Electron rules") over the desk in core/, with
// the OS around it: the keychain for the vault, native dialogs, notifications, and a tray icon while folders are
// watched (closing the window then leaves the app signing in the background).
import { app, BrowserWindow, dialog, ipcMain, protocol, shell } from 'electron';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeskHost, createUnavailableHandlers } from '../../core/api/handlers.ts';
import { memorySession, type HostHooks } from '../../core/api/context.ts';
import { Desk, resolveHome } from '../../core/desk.ts';
import { FORMAT_EXTENSIONS } from '../../core/media/detect.ts';
import { registerDeskIpc } from './ipc.ts';
import { KeychainProtector } from './keychain.ts';
import { WatchNotifier } from './notify.ts';
import { lockContents, lockSession } from './security.ts';
import { APP_SCHEME, APP_URL, CSP, appFile, devRendererUrl, folderDialogOptions, trustedSender, windowOptions } from './policy.ts';
import { WatchTray } from './tray.ts';
import { registerZipIpc } from './zip.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const rendererDir = join(here, '../renderer');
const rendererUrl = devRendererUrl(app.isPackaged); // set by `electron-vite dev`; never in a packaged app

// custody://app/ is a standard, secure scheme (its own origin, 'self' in the CSP, fetch allowed); it must be declared
// before the app is ready.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }]);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.woff2': 'font/woff2', '.json': 'application/json', '.wasm': 'application/wasm', '.ico': 'image/x-icon',
};

/** Serves the renderer build, and nothing outside it, under custody://app/. */
function serveApp(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = appFile(request.url, rendererDir);
    if (!file) return new Response('not found', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(new Uint8Array(body), {
        headers: { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}

let win: BrowserWindow | null = null;
let tray: WatchTray | null = null;
let quitting = false;

function showWindow(): void {
  if (win) {
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
    return;
  }
  win = new BrowserWindow(windowOptions(join(here, '../preload/index.cjs')));
  win.once('ready-to-show', () => win?.show());
  win.on('closed', () => (win = null));
  void win.loadURL(rendererUrl ?? APP_URL);
}

const imageExtensions = [...new Set(Object.values(FORMAT_EXTENSIONS).map((e) => e.replace(/^\./, '')))];

function dialogs(): NonNullable<HostHooks['dialogs']> {
  const parent = () => win ?? undefined;
  return {
    async pickFiles({ purpose, multiple }) {
      const filters =
        purpose === 'pem' ? [{ name: 'PEM', extensions: ['pem', 'crt', 'cer', 'key'] }]
          : [{ name: 'Photos and videos', extensions: imageExtensions }, { name: 'All files', extensions: ['*'] }];
      const options: Electron.OpenDialogOptions = { properties: multiple ? ['openFile', 'multiSelections'] : ['openFile'], filters };
      const w = parent();
      const r = w ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options);
      return r.canceled ? [] : r.filePaths;
    },
    async pickFolder({ purpose, defaultPath }) {
      const options = folderDialogOptions(purpose, defaultPath);
      const w = parent();
      const r = w ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
  };
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

async function main(): Promise<void> {
  lockSession();
  serveApp();
  app.on('web-contents-created', (_e, contents) => lockContents(contents));
  const isTrusted = trustedSender(rendererUrl);
  const desk = await openDesk();
  if (!desk) {
    registerDeskIpc(ipcMain, createUnavailableHandlers(resolveHome()), isTrusted);
    showWindow();
    return;
  }

  const watchTray = new WatchTray({ open: showWindow, quit: () => app.quit() });
  tray = watchTray;
  const notifier = new WatchNotifier(showWindow);
  const host = new DeskHost(desk, {
    kind: 'electron',
    afterUnlock: async (d) => {
      if (KeychainProtector.available() && !d.hasProtector('os-keychain')) await d.addProtector(new KeychainProtector());
      await host.watch.startAll();
      host.startSync();
    },
    dialogs: dialogs(),
    reveal: (path) => shell.showItemInFolder(path),
    watch: { onOutcome: (o) => notifier.push(o), onRunning: (folders) => watchTray.update(folders) },
  });
  // The app has one user at a time: one login session, ended when the app quits.
  const session = memorySession();
  registerDeskIpc(ipcMain, host.api(session), isTrusted);
  registerZipIpc(ipcMain, {
    host,
    session,
    dialog: { showSaveDialog: (o) => (win ? dialog.showSaveDialog(win, o) : dialog.showSaveDialog(o)) },
    downloads: app.getPath('downloads'),
    isTrustedSender: isTrusted,
  });

  app.on('before-quit', (e) => {
    if (quitting) return;
    e.preventDefault();
    quitting = true;
    notifier.dispose();
    const token = session.get();
    if (token) desk.directory.logout(token);
    // Files in flight finish first, so that a quit never leaves a half-signed file in a watched folder.
    void host.close().finally(() => {
      desk.close();
      app.quit();
    });
  });
  showWindow();
  // Stored folders resume at start-up; one that cannot (held elsewhere, gone) shows its problem on its screen.
  if (desk.unlocked) {
    await host.watch.startAll();
    host.startSync();
  }
}

// One app per desk: a second launch brings the first window forward instead.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', showWindow);
  void app.whenReady().then(main);
  app.on('activate', showWindow);
  app.on('window-all-closed', () => {
    // With folders watched the app stays in the tray; otherwise closing the window quits (but on macOS).
    if (process.platform !== 'darwin' && !tray?.shown) app.quit();
  });
}
