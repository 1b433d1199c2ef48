// The window's policy, kept free of Electron's runtime so that tests can check it: the web preferences, the
// Content-Security-Policy, the app's own custody://app/ protocol (which file a URL names, traversal refused), who may
// call the desk over IPC (only our own top-level renderer frame, or under `electron-vite dev` its dev server), and
// which links may leave the app for the system browser.
import type { BrowserWindowConstructorOptions, IpcMainInvokeEvent, OpenDialogOptions } from 'electron';
import { isAbsolute, join, relative, resolve } from 'node:path';

/**
 * The renderer is served from a privileged scheme of its own rather than file://: a page loaded from file:// may
 * read any other file:// URL the OS lets the app read, and every local HTML file shares its origin.
 */
export const APP_SCHEME = 'custody';
export const APP_HOST = 'app';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** The file under rendererDir that a custody://app/ URL names; null for another host, a traversal or a bad escape. */
export function appFile(url: string, rendererDir: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST || u.username || u.password) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  const root = resolve(rendererDir);
  const file = resolve(join(root, rel === '/' || rel === '' ? 'index.html' : rel));
  const inside = relative(root, file);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? file : null;
}

/** Sites a link in the app may open in the system browser: the Content Credentials and IPTC references. */
export const EXTERNAL_HOSTS = ['contentcredentials.org', 'verify.contentauthenticity.org', 'c2pa.org', 'spec.c2pa.org', 'cv.iptc.org'];

/** Whether a link may leave the app: https, a host on the list, no credentials or port of its own. */
export function externalAllowed(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && EXTERNAL_HOSTS.includes(u.hostname) && !u.username && !u.password && u.port === '';
  } catch {
    return false;
  }
}

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

/**
 * The development server's page (`electron-vite dev` sets ELECTRON_RENDERER_URL), or undefined. A packaged app
 * always loads its own custody://app/ files: whoever can set an environment variable for the app's launch (a
 * .desktop file, a shell profile, `launchctl setenv`) must not be able to load a page of theirs into the window and
 * have the desk's API (and the vault, unlocked through the keychain) trust it. Even in development only an http page
 * on this machine is taken.
 */
export function devRendererUrl(isPackaged: boolean, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = env.ELECTRON_RENDERER_URL;
  if (isPackaged || !set) return undefined;
  try {
    const u = new URL(set);
    return u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) ? set : undefined;
  } catch {
    return undefined;
  }
}

/** The sender check for every `ipcMain.handle`: a subframe, another page or another origin is refused. */
export function trustedSender(devUrl: string | undefined): (event: IpcMainInvokeEvent) => boolean {
  return (event) => {
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null) return false;
    try {
      const url = new URL(frame.url);
      if (devUrl) return url.origin === new URL(devUrl).origin;
      return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && url.pathname === '/index.html' && !url.username && !url.password;
    } catch {
      return false; // not a URL at all
    }
  };
}

/**
 * The native folder dialog of the watch-folder form and the Sign screen's output folder: one folder, which may be
 * made in the dialog, never files; opened at the first allowed root when there is one. The path chosen only fills
 * the form's field: adding the folder judges it like a typed one (core/paths confine, core/authz watchAdd).
 */
export function folderDialogOptions(purpose: 'watch' | 'output', defaultPath?: string): OpenDialogOptions {
  return {
    title: purpose === 'watch' ? 'Folder to watch' : 'Folder for signed copies',
    buttonLabel: 'Choose folder',
    properties: ['openDirectory', 'createDirectory', 'dontAddToRecent'],
    ...(defaultPath ? { defaultPath } : {}),
  };
}
