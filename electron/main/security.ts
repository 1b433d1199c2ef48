// The window's locks (DESIGN.md "Electron rules"): what the page may load, and no way out of the app's own page
// (navigation, new windows, webviews, permission prompts all refused). The policy itself: policy.ts.
import { session, shell, type WebContents } from 'electron';
import { CSP, externalAllowed } from './policy.ts';


/** Session-wide: the CSP as a header too (the dev server's pages), and every permission request refused. */
export function lockSession(): void {
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  s.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
}

/**
 * Per web contents: no navigation away, no new windows, no webviews. A link to one of the allowed sites opens in the
 * system browser (shell.openExternal hands any URL to the OS, which would run file: or custom-scheme handlers).
 */
export function lockContents(contents: WebContents): void {
  const outside = (url: string) => {
    if (externalAllowed(url)) void shell.openExternal(url);
  };
  contents.on('will-navigate', (e) => {
    e.preventDefault();
    outside(e.url);
  });
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    outside(url);
    return { action: 'deny' };
  });
}
