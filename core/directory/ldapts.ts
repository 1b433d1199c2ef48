// The one entry point to ldapts in core, loaded on first use (lazy-package.ts): only a directory login, an admin's
// directory test and the filter checks of a directory's settings need it, not every command that opens the desk
// (about 40 ms of CPU in each fresh process).
import { createRequire } from 'node:module';
import type * as Ldapts from 'ldapts';
import { lazyPackage } from '../lazy-package.ts';

const require = createRequire(import.meta.url);

export const ldapts: typeof Ldapts = lazyPackage(() => require('ldapts') as typeof Ldapts);

export type { Ldapts };
