// The desktop shell's locks that can be checked without starting Electron: the renderer served from custody://app/
// (nothing outside the build, however the URL is spelled), the allow-list for links that leave the app, and the
// fuses the packaging hook burns into the binary (flipped here in a binary laid out as Electron's is).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { describe, expect, it } from 'vitest';
import afterPack, { FUSES } from '../scripts/after-pack.js';
import { APP_URL, appFile, devRendererUrl, externalAllowed, folderDialogOptions } from '../electron/main/policy.ts';
import { ROOT, tempDir } from './helpers/cli.ts';

describe('custody://app/', () => {
  const dir = tempDir('custody-renderer-');
  mkdirSync(join(dir, 'assets'));

  it.each([
    ['the page', APP_URL, join(dir, 'index.html')],
    ['the root', 'custody://app/', join(dir, 'index.html')],
    ['an asset', 'custody://app/assets/index-abc.js', join(dir, 'assets', 'index-abc.js')],
    ['an asset with a query', 'custody://app/assets/x.css?v=1', join(dir, 'assets', 'x.css')],
    ['a dot-dot the URL parser folds away', 'custody://app/assets/../index.html', join(dir, 'index.html')],
    ['an encoded dot-dot, folded the same way (it stays in the build)', 'custody://app/%2e%2e/%2e%2e/etc/passwd', join(dir, 'etc', 'passwd')],
  ])('serves %s from the build', (_what, url, file) => {
    expect(appFile(url, dir)).toBe(file);
  });

  it.each([
    ['an encoded slash and dot-dot', 'custody://app/..%2f..%2fetc%2fpasswd'],
    ['an encoded backslash', 'custody://app/..%5c..%5cwindows'],
    ['a NUL', 'custody://app/index.html%00.png'],
    ['a bad escape', 'custody://app/%E0%A4%A'],
    ['another host', 'custody://evil/index.html'],
    ['credentials', 'custody://user:pw@app/index.html'],
    ['another scheme', 'file:///etc/passwd'],
    ['not a URL', 'index.html'],
  ])('refuses %s', (_what, url) => {
    expect(appFile(url, dir)).toBeNull();
  });
});

describe("the development server's page", () => {
  it('is never loaded by a packaged app, and in development only from an http server on this machine', () => {
    const env = (url: string) => ({ ELECTRON_RENDERER_URL: url });
    expect(devRendererUrl(true, env('http://localhost:5173/'))).toBeUndefined();
    expect(devRendererUrl(true, env('http://attacker.example:8000/'))).toBeUndefined();
    expect(devRendererUrl(false, env('http://localhost:5173/'))).toBe('http://localhost:5173/');
    expect(devRendererUrl(false, env('http://127.0.0.1:5173/'))).toBe('http://127.0.0.1:5173/');
    for (const u of ['http://attacker.example:8000/', 'https://localhost.attacker.example/', 'file:///tmp/page.html', 'not a url']) expect(devRendererUrl(false, env(u))).toBeUndefined();
    expect(devRendererUrl(false, {})).toBeUndefined();
  });
});

describe('links that leave the app', () => {
  it.each([
    ['https://contentcredentials.org/verify', true],
    ['https://spec.c2pa.org/specifications/', true],
    ['http://contentcredentials.org/', false],
    ['https://contentcredentials.org.evil.example/', false],
    ['https://evil@contentcredentials.org/', false],
    ['https://contentcredentials.org:8443/', false],
    ['file:///etc/passwd', false],
    ['smb://server/share', false],
    ['javascript:alert(1)', false],
    ['custody://app/index.html', false],
  ])('%s → %s', (url, ok) => {
    expect(externalAllowed(url)).toBe(ok);
  });
});

describe('the native folder dialog', () => {
  it('asks for one folder (which may be made there), never files, opened at the allowed root it is given', () => {
    for (const purpose of ['watch', 'output'] as const) {
      const o = folderDialogOptions(purpose, '/srv/photos');
      expect(o.properties).toContain('openDirectory');
      expect(o.properties).toContain('createDirectory');
      expect(o.properties).not.toContain('openFile');
      expect(o.properties).not.toContain('multiSelections');
      expect(o.defaultPath).toBe('/srv/photos');
    }
    expect(folderDialogOptions('watch').title).toBe('Folder to watch');
    expect('defaultPath' in folderDialogOptions('output')).toBe(false);
  });
});

describe('fuses', () => {
  const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

  it('are burnt by the afterPack hook electron-builder runs', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { build: { afterPack: string } };
    expect(pkg.build.afterPack).toBe('scripts/after-pack.js');
    // A binary laid out as Electron's: the sentinel, fuse wire version 1, eight fuses, all as Electron ships them.
    const out = tempDir('custody-pack-');
    const shipped = '10110010'; // RunAsNode on, cookie encryption off, NODE_OPTIONS on, inspect on, integrity off, …
    writeFileSync(join(out, 'custody'), Buffer.concat([Buffer.from('\x7fELF…code…'), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from(shipped), Buffer.from('…more code')]));
    await afterPack({ appOutDir: out, electronPlatformName: 'linux', arch: 1, packager: { appInfo: { productFilename: 'Custody' }, executableName: 'custody' } });
    const wire = await getCurrentFuseWire(join(out, 'custody'));
    const on = (o: FuseV1Options) => wire[o] === 49; // FuseState.ENABLE ('1')
    expect(on(FuseV1Options.RunAsNode)).toBe(false);
    expect(on(FuseV1Options.EnableNodeCliInspectArguments)).toBe(false);
    expect(on(FuseV1Options.EnableNodeOptionsEnvironmentVariable)).toBe(false);
    expect(on(FuseV1Options.EnableEmbeddedAsarIntegrityValidation)).toBe(true);
    expect(on(FuseV1Options.OnlyLoadAppFromAsar)).toBe(true);
    expect(on(FuseV1Options.EnableCookieEncryption)).toBe(true);
    expect(on(FuseV1Options.GrantFileProtocolExtraPrivileges)).toBe(false);
    expect(Object.keys(FUSES)).toHaveLength(7);
  });

  it('leave the renderer off file://: the window loads custody://app/ and the scheme is registered as privileged', () => {
    const main = readFileSync(join(ROOT, 'electron', 'main', 'index.ts'), 'utf8');
    expect(main).not.toMatch(/loadFile\(/);
    expect(main).toMatch(/registerSchemesAsPrivileged\(\[\{ scheme: APP_SCHEME/);
    expect(main).toMatch(/protocol\.handle\(APP_SCHEME/);
  });
});
