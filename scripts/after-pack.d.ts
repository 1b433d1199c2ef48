// Types for after-pack.js (plain JavaScript, since electron-builder loads it as is).
import type { FuseV1Options } from '@electron/fuses';

export interface PackContext {
  appOutDir: string;
  electronPlatformName: string;
  arch: number;
  packager: { appInfo: { productFilename: string }; executableName: string };
}
export const FUSES: Partial<Record<FuseV1Options, boolean>>;
export function electronBinary(context: PackContext): string;
export default function afterPack(context: PackContext): Promise<void>;
