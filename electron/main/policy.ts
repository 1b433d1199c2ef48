// The window's policy, kept free of Electron's runtime so that tests can check it: the web preferences, the
// Content-Security-Policy, and who may call the desk over IPC (only our own top-level renderer frame, loaded from
// the app's own index.html or, under `electron-vite dev`, from its dev server).
import type { BrowserWindowConstructorOptions, IpcMainInvokeEvent } from 'electron';
import { fileURLToPath } from 'node:url';

/** The same policy as the renderer's <meta> tag and web mode's header (a test holds the three together). */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // React's style={…} attributes (the video timeline's widths); no <style> elements, no inline scripts.
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The one window: sandboxed, isolated, no Node in the page, web security on. */
export function windowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    title: 'Custody',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** The sender check for every `ipcMain.handle`: a subframe, another page or another origin is refused. */
export function trustedSender(rendererIndex: string, devUrl: string | undefined): (event: IpcMainInvokeEvent) => boolean {
  return (event) => {
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null) return false;
    const url = frame.url;
    try {
      if (devUrl) return new URL(url).origin === new URL(devUrl).origin;
      return url.startsWith('file://') && fileURLToPath(url.split(/[?#]/)[0]!) === rendererIndex;
    } catch {
      return false; // not a URL at all
    }
  };
}

