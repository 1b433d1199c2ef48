// The window's locks (DESIGN.md "Electron rules"): what the page may load, and no way out of the app's own page
// (navigation, new windows, webviews, permission prompts all refused). The policy itself: policy.ts.
import { session, shell, type WebContents } from 'electron';
import { CSP } from './policy.ts';


/** Session-wide: the CSP as a header too (the dev server's pages), and every permission request refused. */
export function lockSession(): void {
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  s.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
}

/** Per web contents: no navigation away, no new windows (https links open in the browser), no webviews. */
export function lockContents(contents: WebContents): void {
  contents.on('will-navigate', (e) => e.preventDefault());
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
}
