// sharp, loaded through its CommonJS build. sharp ships an ES-module build too, which `import sharp from 'sharp'`
// picks; it is the same library, but loading it costs a fresh process about 0.1 s more CPU than the CommonJS build
// (measured 0.31 s against 0.19 s for `node` plus sharp, node alone 0.08 s): every `custody` command that reads
// pixels pays it. Import sharp from here, not from 'sharp', so that a process loads one build only.
import { createRequire } from 'node:module';
import type SharpModule from 'sharp';

const sharp: typeof SharpModule = createRequire(import.meta.url)('sharp');
export default sharp;
