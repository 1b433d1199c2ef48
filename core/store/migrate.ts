// Numbered migrations, one file each (Signal's ts/sql/migrations). The database's user_version is the number of
// the last one applied; each runs in its own transaction.
import type { WritableDB } from './db.ts';
import m0001 from './migrations/0001-initial.ts';
import m0002 from './migrations/0002-directory.ts';
import m0003 from './migrations/0003-audit-log.ts';
import m0004 from './migrations/0004-workflow.ts';
import m0005 from './migrations/0005-watch-folders.ts';
import m0006 from './migrations/0006-directory-source.ts';
import m0007 from './migrations/0007-auth-throttle.ts';
import m0008 from './migrations/0008-audit-seal.ts';
import m0009 from './migrations/0009-output-intents.ts';
import m0010 from './migrations/0010-hub-sync.ts';
import m0011 from './migrations/0011-record-timestamps.ts';
import m0012 from './migrations/0012-watch-folder-owner.ts';
import m0013 from './migrations/0013-audit-head-proofs.ts';
import m0014 from './migrations/0014-outbox-record-signature.ts';
import m0015 from './migrations/0015-proof-chain-checked.ts';
import m0016 from './migrations/0016-refuted-chain-refs.ts';

export interface Migration {
  version: number;
  name: string;
  up(db: WritableDB): void;
}

export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008, m0009, m0010, m0011, m0012, m0013, m0014, m0015, m0016];

export const LATEST_VERSION = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);

export function currentVersion(db: WritableDB): number {
  return db.get<{ user_version: number }>({ text: 'PRAGMA user_version', params: [] })?.user_version ?? 0;
}

export function migrate(db: WritableDB, target: number = LATEST_VERSION): void {
  const from = currentVersion(db);
  if (from > LATEST_VERSION) {
    throw new Error(`this desk database is at schema version ${from}, newer than this Custody (${LATEST_VERSION}); upgrade Custody`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from || m.version > target) continue;
    db.transaction(() => {
      m.up(db);
      db.exec(`PRAGMA user_version = ${m.version}`);
    });
  }
}
