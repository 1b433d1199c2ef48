// Where a desk lives: its folder and its database file, in a module of its own so that the CLI can read the vault's
// wrapped key before it loads the desk (core/crypto/prepare-unlock.ts).
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DB_FILE = 'desk.db';

/** CUSTODY_HOME, else the OS per-user app-data folder `Custody` (what Electron's userData resolves to). */
export function resolveHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.CUSTODY_HOME) return env.CUSTODY_HOME;
  switch (platform) {
    case 'win32':
      return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Custody');
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'Custody');
    default:
      return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Custody');
  }
}
