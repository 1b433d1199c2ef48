// Path confinement (core/paths/confine.ts) and the attacks it stops: a watched folder pointed at the desk's own
// data folder (the desk used to move desk.db into rejected/), a folder outside the allowed roots, a symlink that
// leads into either, and sign/verify/publish handed the desk's files, system folders or a user's secrets.
import { existsSync, mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { checkAllowedRoots, confine, type PathRules } from '../core/paths/confine.ts';
import { sql } from '../core/store/db.ts';
import { WatchEngine } from '../core/watch/engine.ts';
import { addWatchFolder, listWatchFolders } from '../core/watch/folders.ts';
import { photo } from './fixtures/photos.ts';
import { freshDesk, runCli, tempDir } from './helpers/cli.ts';
import { newDesk } from './watch-helpers.ts';

const denied = { code: 'PATH_NOT_ALLOWED' };

describe('confine', () => {
  const root = realpathSync(tempDir('custody-confine-'));
  const home = join(root, 'desk');
  const user = join(root, 'user');
  const allowed = join(root, 'photos');
  for (const d of [home, user, join(user, '.ssh'), allowed, join(root, 'elsewhere')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(home, 'desk.db'), 'x');
  writeFileSync(join(user, '.ssh', 'id_ed25519'), 'secret');
  symlinkSync(home, join(allowed, 'to-home'));
  symlinkSync('/etc', join(allowed, 'to-etc'));
  symlinkSync(join(user, '.ssh'), join(allowed, 'to-ssh'));
  const rules: PathRules = { home, within: [allowed], userHome: user };
  const open: PathRules = { home, within: null, userHome: user };

  it.each([
    ['the data folder', home, rules],
    ['a file inside it', join(home, 'desk.db'), open],
    ['a folder containing it', root, open],
    ['the file-system root', '/', open],
    ['a system folder', '/etc', open],
    ['a file in a system folder', '/usr/bin/env', open],
    ['a folder under /var', '/var/lib', open],
    ["the user's SSH keys", join(user, '.ssh'), open],
    ['a folder outside the allowed roots', join(root, 'elsewhere'), rules],
    ['a symlink inside an allowed root leading to the data folder', join(allowed, 'to-home'), rules],
    ['a symlink leading to /etc', join(allowed, 'to-etc', 'x'), rules],
    ['a symlink leading to the SSH keys', join(allowed, 'to-ssh'), rules],
    ['a relative escape', join(allowed, '..', 'elsewhere'), rules],
    ['anything, while no allowed root is set', join(root, 'elsewhere'), { home, within: [], userHome: user }],
  ])('refuses %s as a folder', (_what, p, r) => {
    expect(() => confine(p, 'folder', r)).toThrow(expect.objectContaining(denied));
  });

  it.each([
    ['/etc/passwd', '/etc/passwd'],
    ['/proc/self/environ', '/proc/self/environ'],
    ["a user's private key", join(user, '.ssh', 'id_ed25519')],
    ['the desk database', join(home, 'desk.db')],
    ['the desk database through a symlink', join(allowed, 'to-home', 'desk.db')],
  ])('refuses to read %s', (_what, p) => {
    expect(() => confine(p, 'read', open)).toThrow(expect.objectContaining(denied));
  });

  it('gives the real path of what it allows, for folders that do not exist yet too', () => {
    expect(confine(join(allowed, 'card'), 'folder', rules)).toBe(join(allowed, 'card'));
    expect(confine(join(allowed, 'a', 'b', '..', 'c'), 'folder', rules)).toBe(join(allowed, 'a', 'c'));
    // World-readable files stay readable for the local user (the CLI signs the skimage photos in /usr/lib).
    expect(confine(photo('coffee.png'), 'read', open)).toBe(realpathSync(photo('coffee.png')));
  });

  it('never names more than the path it was given and the rule', () => {
    const e = (() => {
      try {
        confine('/etc/shadow', 'read', open);
      } catch (x) {
        return x as Error;
      }
      return null;
    })();
    expect(e?.message).toMatch(/^expected a path the desk may use, got \/etc\/shadow, which lies in the system folder \/etc$/);
  });

  it.each([
    ['a relative path', 'photos'],
    ['the root', '/'],
    ['a system folder', '/usr/share'],
    ['the data folder', home],
  ])('refuses %s as an allowed root', (_what, r) => {
    expect(() => checkAllowedRoots([r], home)).toThrow();
  });

  it('takes a root that contains the data folder: what lies under it is still judged one path at a time', () => {
    expect(checkAllowedRoots([root, root], home)).toEqual([root]);
    expect(() => confine(home, 'folder', { home, within: [root], userHome: user })).toThrow(expect.objectContaining(denied));
  });
});

describe('watched folders', () => {
  let desk: Desk;
  beforeAll(async () => {
    desk = await newDesk(); // allowed roots: the temporary folder, which holds the desk's own data folder too
  });
  afterAll(() => desk.close());

  it("refuses the desk's own data folder, a folder holding it, and a link to it", () => {
    const out = join(tempDir(), 'out');
    const link = join(tempDir(), 'innocent');
    symlinkSync(desk.home, link);
    for (const p of [desk.home, dirname(desk.home), link]) {
      expect(() => addWatchFolder(desk, desk.bootstrapActor()!, { path: p, outDir: out }, desk.folderRules)).toThrow(expect.objectContaining(denied));
    }
    expect(() => addWatchFolder(desk, desk.bootstrapActor()!, { path: tempDir(), outDir: join(desk.home, 'rejected-here') }, desk.folderRules)).toThrow(expect.objectContaining(denied));
    expect(listWatchFolders(desk.store)).toEqual([]);
  });

  it('refuses folders outside the allowed roots', async () => {
    const other = await newDesk();
    try {
      const root = tempDir();
      mkdirSync(join(root, 'in'));
      other.setAllowedRoots(other.bootstrapActor()!, [join(root)]);
      expect(() => addWatchFolder(other, other.bootstrapActor()!, { path: tempDir(), outDir: join(root, 'out') }, other.folderRules)).toThrow(expect.objectContaining(denied));
      expect(() => addWatchFolder(other, other.bootstrapActor()!, { path: join(root, 'in'), outDir: join(tempDir(), 'out') }, other.folderRules)).toThrow(expect.objectContaining(denied));
      expect(addWatchFolder(other, other.bootstrapActor()!, { path: join(root, 'in'), outDir: join(root, 'out') }, other.folderRules).path).toBe(realpathSync(join(root, 'in')));
      other.setAllowedRoots(other.bootstrapActor()!, []);
      expect(() => addWatchFolder(other, other.bootstrapActor()!, { path: join(root, 'in'), outDir: join(root, 'out2') }, other.folderRules)).toThrow(
        expect.objectContaining({ ...denied, message: expect.stringMatching(/outside the allowed roots \(none are set/) }),
      );
    } finally {
      other.close();
    }
  });

  it('will not start a stored folder that points at the data folder: desk.db stays where it is', async () => {
    // A folder stored before confinement existed (or written into the database by hand).
    const out = join(tempDir(), 'out');
    const at = new Date().toISOString();
    desk.store.run(sql`INSERT INTO watch_folders (id, path, out_dir, concurrency, stable_ms, flags, created_at, updated_at)
      VALUES ('wf_evil', ${desk.home}, ${out}, 1, 0, '[]', ${at}, ${at})`);
    const engine = new WatchEngine(desk, { rescanMs: 60_000 });
    try {
      await expect(engine.start(['wf_evil'])).rejects.toMatchObject(denied);
      await new Promise((r) => setTimeout(r, 300));
      expect(existsSync(join(desk.home, 'desk.db'))).toBe(true);
      expect(existsSync(join(out, 'rejected'))).toBe(false);
    } finally {
      await engine.stop();
      desk.store.run(sql`DELETE FROM watch_folders WHERE id = 'wf_evil'`);
    }
  });
});

describe('sign, verify and publish', () => {
  let desk: Desk;
  let src: string;
  beforeAll(async () => {
    desk = await newDesk();
    src = join(tempDir(), 'pier.jpg');
    await sharp(photo('coffee.png')).jpeg().toFile(src);
  });
  afterAll(() => desk.close());

  it("refuses the desk's own files and secrets as inputs", async () => {
    await expect(desk.sign(join(desk.home, 'desk.db'), { actor: desk.bootstrapActor()! })).rejects.toMatchObject(denied);
    await expect(desk.verify(join(desk.home, 'desk.db'))).rejects.toMatchObject(denied);
    await expect(desk.verify('/etc/shadow')).rejects.toMatchObject(denied);
  });

  it('refuses output folders in the data folder or a system folder, and writing beside an input in one', async () => {
    await expect(desk.sign(src, { actor: desk.bootstrapActor()!, outDir: desk.home })).rejects.toMatchObject(denied);
    await expect(desk.sign(src, { actor: desk.bootstrapActor()!, outDir: '/usr/local/share' })).rejects.toMatchObject(denied);
    await expect(desk.sign(photo('coffee.png'), { actor: desk.bootstrapActor()! })).rejects.toMatchObject(denied); // beside it would be /usr/lib/…
    expect(readdirSync(desk.home).filter((f) => f.includes('signed'))).toEqual([]);
  });

  it('confines web-mode callers to the folders they are given', async () => {
    const confineTo = { roots: [dirname(src)], name: 'the uploads' };
    await expect(desk.sign(photo('coffee.png'), { actor: desk.bootstrapActor()!, confineTo, deskOutputs: true })).rejects.toMatchObject({ ...denied, message: expect.stringMatching(/outside the uploads/) });
    const r = await desk.sign(src, { actor: desk.bootstrapActor()!, confineTo, deskOutputs: true });
    expect(dirname(r.output)).toBe(desk.signedDir);
  });
});

describe('custody settings set allowed-roots', () => {
  it('sets, shows and clears the roots; a root in a system folder is refused', async () => {
    const env = await freshDesk();
    const root = tempDir();
    expect((await runCli(['settings', 'set', 'allowed-roots', root, tmpdir()], env)).stdout).toBe(`allowed-roots: ${realpathSync(root)}, ${realpathSync(tmpdir())}\n`);
    expect(JSON.parse((await runCli(['settings', 'get', '--json'], env)).stdout)['allowed-roots']).toEqual([realpathSync(root), realpathSync(tmpdir())]);
    const bad = await runCli(['settings', 'set', 'allowed-roots', '/etc'], env);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error PATH_NOT_ALLOWED: .*system folder \/etc/) });
    expect((await runCli(['settings', 'set', 'allowed-roots', 'none'], env)).stdout).toBe('allowed-roots: none\n');
  });
});
