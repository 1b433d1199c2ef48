// electron-builder's afterPack hook: burns Electron's fuses into the packaged binary before it is signed, so that
// the shipped app cannot be turned into something else from outside (https://www.electronjs.org/docs/latest/tutorial/fuses).
// RunAsNode off: ELECTRON_RUN_AS_NODE=1 would make the signed Custody binary a plain Node interpreter running any
// script with the app's identity (and keychain entry). The inspector flags and NODE_OPTIONS off: no --inspect or
// --require into the main process, which holds the unlocked vault. Asar integrity on and only the asar loaded: the
// app's code cannot be swapped on disk. Cookie encryption on: the session's cookies are encrypted with the OS key.
// file:// keeps no extra privileges: the renderer is served from custody://app/.
import { FuseV1Options, FuseVersion, flipFuses } from '@electron/fuses';
import { join } from 'node:path';

export const FUSES = {
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

/** The Electron binary electron-builder just laid out for this platform. */
export function electronBinary(context) {
  const name = context.packager.appInfo.productFilename;
  switch (context.electronPlatformName) {
    case 'darwin':
    case 'mas':
      return join(context.appOutDir, `${name}.app`);
    case 'win32':
      return join(context.appOutDir, `${name}.exe`);
    default:
      return join(context.appOutDir, context.packager.executableName);
  }
}

export default async function afterPack(context) {
  const binary = electronBinary(context);
  // On Apple silicon an ad-hoc signature must be redone after the binary changed; a real signature comes later.
  const resetAdHocDarwinSignature = context.electronPlatformName === 'darwin' && context.arch === 3; // Arch.arm64
  await flipFuses(binary, { version: FuseVersion.V1, resetAdHocDarwinSignature, ...FUSES });
}
