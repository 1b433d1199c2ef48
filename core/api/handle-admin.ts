// DeskApi handlers: users, watched folders, keys and certificates, settings and workflow templates. Changes need
// an admin (core/directory checks its own; the rest are checked here), or editors for watched folders.
import { createHash } from 'node:crypto';
import { parseChainPem, type CertificateInfo } from '../c2pa/certificates.ts';
import { CustodyError } from '../errors.ts';
import type { Actor } from '../directory/roles.ts';
import type { HandlerContext, Handlers } from './context.ts';
import type { DeskResult } from './desk-api.ts';

type Cert = DeskResult<'certificates'>['chain'][number];

const describe = (c: CertificateInfo): Cert => ({
  subject: c.subject.text,
  issuer: c.issuer.text,
  notBefore: c.notBefore.toISOString(),
  notAfter: c.notAfter.toISOString(),
  sha256: createHash('sha256').update(c.der).digest('hex'),
  key: c.keyDescription,
  isCa: c.isCa,
  pem: c.pem,
});

const parsed = (pem: string | null): Cert[] => (pem && /BEGIN CERTIFICATE/.test(pem) ? parseChainPem(pem).map(describe) : []);

export function adminHandlers(ctx: HandlerContext): Handlers<
  | 'watchFolders' | 'watchAdd' | 'watchRemove' | 'watchStart' | 'watchStop'
  | 'users' | 'userAdd' | 'userSetRoles' | 'userDisable'
  | 'keys' | 'certificates' | 'certificateImport' | 'trustAdd' | 'settings' | 'settingsSet' | 'timestampsStamp' | 'templates' | 'templateSave'
> {
  const { desk } = ctx;
  const admin = (what: string) => ctx.withRole(what, ['admin']);
  const watcher = (what: string) => ctx.withRole(what, ['admin', 'editor']);
  /** An admin; on a desk without users, whoever holds the unlocked vault (to create the first admin). */
  const userAdmin = (what: string): Actor => {
    if (desk.directory.hasUsers()) return ctx.actor(what);
    const by = desk.bootstrapActor();
    if (!by) throw new CustodyError('KEY_LOCKED', `expected the desk keys unlocked to ${what} on a desk without users, but they are locked`);
    return by;
  };
  const settings = () => ({ org: desk.info.org, home: desk.home, createdAt: desk.info.createdAt, hybridPq: desk.hybridPq, limits: desk.limits, allowedRoots: desk.allowedRoots, tsa: desk.tsa });

  return {
    watchFolders: () => {
      ctx.reader();
      return ctx.watch.list();
    },
    watchAdd: ({ path, outDir, concurrency, stableMs, workflowTemplate, classification, flags, start }) => {
      const by = watcher('add watched folders');
      const options = {
        ...(workflowTemplate !== undefined ? { workflowTemplate } : {}),
        ...(classification !== undefined ? { classification } : {}),
        ...(flags !== undefined ? { flags } : {}),
      };
      const tuning = { ...(concurrency !== undefined ? { concurrency } : {}), ...(stableMs !== undefined ? { stableMs } : {}) };
      return ctx.watch.add(by, { path, outDir, ...tuning, options }, start ?? true);
    },
    watchRemove: async ({ id }) => ({ removed: (await ctx.watch.remove(watcher('remove watched folders'), id)).id }),
    watchStart: ({ id }) => {
      watcher('start watching folders');
      return ctx.watch.start(id);
    },
    watchStop: ({ id }) => {
      watcher('stop watching folders');
      return ctx.watch.stop(id);
    },

    users: () => {
      ctx.reader();
      return desk.directory.list();
    },
    userAdd: (u) => desk.directory.addUser(userAdmin('add users'), u),
    userSetRoles: ({ name, roles }) => desk.directory.setRoles(ctx.actor('change roles'), name, roles),
    userDisable: ({ name }) => desk.directory.disable(ctx.actor('disable users'), name),

    keys: () => {
      ctx.reader();
      return desk.keys();
    },
    certificates: () => {
      ctx.reader();
      const { chainPem, anchorsPem } = desk.certificates();
      let orgRootPem: string | null = null;
      try {
        orgRootPem = desk.orgRootPem();
      } catch {
        // an imported chain without its root: nothing to hand to verifiers from here
      }
      return { chain: parsed(chainPem), anchors: parsed(anchorsPem), orgRootPem };
    },
    certificateImport: ({ chainPem, keyPem }) => desk.importCertificate(chainPem, keyPem, admin('import certificates')),
    trustAdd: ({ pem }) => {
      const by = admin('add trust anchors');
      const added = parseChainPem(pem).length; // refuses text that is not certificates before anything is stored
      desk.addTrustAnchors(pem, by);
      return { added };
    },
    settings: () => {
      ctx.reader();
      return settings();
    },
    settingsSet: ({ hybridPq, allowedRoots, tsaUrl, tsaAnchorsPem }) => {
      const by = admin('change settings');
      if (hybridPq !== undefined) desk.setHybridPq(hybridPq, by);
      if (allowedRoots !== undefined) desk.setAllowedRoots(allowedRoots, by);
      if (tsaUrl !== undefined || tsaAnchorsPem !== undefined) desk.setTsa({ ...(tsaUrl !== undefined ? { url: tsaUrl } : {}), ...(tsaAnchorsPem !== undefined ? { anchorsPem: tsaAnchorsPem } : {}) }, by);
      return settings();
    },
    // Whoever may sign may finish the signatures' time-stamps (it only asks the configured TSA).
    timestampsStamp: ({ all }) => desk.stampPending({ ...(all ? { all } : {}), actor: ctx.withRole('obtain pending time-stamps', ['admin', 'editor', 'chief', 'legal']) }),
    templates: () => {
      ctx.reader();
      return desk.workflow.templates();
    },
    templateSave: ({ template }) => desk.workflow.saveTemplate(ctx.actor('edit workflow templates'), template),
  };
}
