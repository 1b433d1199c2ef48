// The Custody version: what Content Credentials name as the software agent and claim generator, and what the
// desk reports. Imported, not read beside this file: the compiled command and the Electron build do not keep the
// sources' layout.
import pkg from '../package.json' with { type: 'json' };

export const CUSTODY_VERSION: string = pkg.version;
