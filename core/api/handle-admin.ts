// DeskApi handlers: users, watched folders, keys and certificates, settings and workflow templates. Who may do
// each is the authorization policy's (core/authz/policy.ts); the desk methods check it again themselves.
import { createHash } from 'node:crypto';
import { parseChainPem, type CertificateInfo } from '../c2pa/certificates.ts';
import { listFolders } from '../paths/browse.ts';
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
  | 'watchFolders' | 'watchAdd' | 'watchRemove' | 'watchStart' | 'watchStop' | 'folderList'
  | 'users' | 'userAdd' | 'userSetRoles' | 'userDisable'
  | 'keys' | 'certificates' | 'certificateImport' | 'trustAdd' | 'settings' | 'settingsSet' | 'timestampsStamp' | 'templates' | 'templateSave'
> {
  const { desk } = ctx;
  const settings = () => ({ org: desk.info.org, home: desk.home, createdAt: desk.info.createdAt, hybridPq: desk.hybridPq, limits: desk.limits, allowedRoots: desk.allowedRoots, tsa: desk.tsa });

  return {
    watchFolders: () => {
      ctx.as('watchFolders');
      return ctx.watch.list();
    },
    watchAdd: ({ path, outDir, concurrency, stableMs, workflowTemplate, classification, flags, digitalSourceType, start }) => {
      const by = ctx.actor('watchAdd');
      const options = {
        ...(workflowTemplate !== undefined ? { workflowTemplate } : {}),
        ...(classification !== undefined ? { classification } : {}),
        ...(flags !== undefined ? { flags } : {}),
        ...(digitalSourceType !== undefined ? { digitalSourceType } : {}),
      };
      const tuning = { ...(concurrency !== undefined ? { concurrency } : {}), ...(stableMs !== undefined ? { stableMs } : {}) };
      return ctx.watch.add(by, { path, outDir, ...tuning, options }, start ?? true);
    },
    watchRemove: async ({ id }) => ({ removed: (await ctx.watch.remove(ctx.actor('watchRemove'), id)).id }),
    watchStart: ({ id }) => {
      ctx.actor('watchStart');
      return ctx.watch.start(id);
    },
    watchStop: ({ id }) => {
      ctx.actor('watchStop');
      return ctx.watch.stop(id);
    },
    folderList: ({ path }) => {
      ctx.actor('folderList');
      return listFolders(path ?? null, desk.folderRules);
    },

    users: () => {
      ctx.as('users');
      return desk.directory.list();
    },
    userAdd: (u) => desk.directory.addUser(ctx.actor('userAdd'), u),
    userSetRoles: ({ name, roles }) => desk.directory.setRoles(ctx.actor('userSetRoles'), name, roles),
    userDisable: ({ name }) => desk.directory.disable(ctx.actor('userDisable'), name),

    keys: () => {
      ctx.as('keys');
      return desk.keys();
    },
    certificates: () => {
      ctx.as('certificates');
      const { chainPem, anchorsPem } = desk.certificates();
      let orgRootPem: string | null = null;
      try {
        orgRootPem = desk.orgRootPem();
      } catch {
        // an imported chain without its root: nothing to hand to verifiers from here
      }
      return { chain: parsed(chainPem), anchors: parsed(anchorsPem), orgRootPem };
    },
    certificateImport: ({ chainPem, keyPem }) => desk.importCertificate(ctx.actor('certificateImport'), chainPem, keyPem),
    trustAdd: ({ pem }) => {
      const by = ctx.actor('trustAdd');
      const r = desk.addTrustAnchors(by, pem);
      return { added: r.roots, already: r.already };
    },
    settings: () => {
      ctx.as('settings');
      return settings();
    },
    settingsSet: ({ hybridPq, allowedRoots, tsaUrl, tsaAnchorsPem }) => {
      const by = ctx.actor('settingsSet');
      if (hybridPq !== undefined) desk.setHybridPq(by, hybridPq);
      if (allowedRoots !== undefined) desk.setAllowedRoots(by, allowedRoots);
      if (tsaUrl !== undefined || tsaAnchorsPem !== undefined) desk.setTsa(by, { ...(tsaUrl !== undefined ? { url: tsaUrl } : {}), ...(tsaAnchorsPem !== undefined ? { anchorsPem: tsaAnchorsPem } : {}) });
      return settings();
    },
    // Whoever may sign may finish the signatures' time-stamps (it only asks the configured TSA).
    timestampsStamp: ({ all }) => desk.stampPending(ctx.actor('timestampsStamp'), all ? { all } : {}),
    templates: () => {
      ctx.as('templates');
      return desk.workflow.templates();
    },
    templateSave: ({ template }) => desk.workflow.saveTemplate(ctx.actor('templateSave'), template),
  };
}
