// Who may do what on a desk: one rule per use case, checked in core before the use case touches anything, so the
// DeskApi (IPC, web mode), the CLI and the watch engine cannot differ. A use case is a DeskApi method, or a CLI
// capability the DeskApi has no method for. A rule names the roles that may act (or that anyone, or any user, may),
// and the check on the object itself that the use case makes where the object lives (four-eyes in the workflow
// machine, a folder's owner in core/watch), with the predicate for that check defined here.
import type { DeskMethodName } from '../api/methods.ts';
import type { Actor, Role } from '../directory/roles.ts';
import { CustodyError } from '../errors.ts';

/** Use cases only the CLI has: running the hot-folder engine in the foreground, a folder's job queue. */
export const CLI_USE_CASES = ['watchRun', 'watchJobs'] as const;
/**
 * Use cases of core that no DeskApi method offers: sending refused rows to the organisation's hub again and
 * confirming the hub's chain references on a chain (core/sync),
 * and an item's file handed to a browser (web mode's downloads, DeskHost.file).
 */
export const CORE_USE_CASES = ['hubRetryParked', 'hubCheckChain', 'fileDownload'] as const;
export type UseCase = DeskMethodName | (typeof CLI_USE_CASES)[number] | (typeof CORE_USE_CASES)[number];

/**
 * `anyone`: no account needed (a verifier has none). `user`: any logged-in user; on a desk without users, anyone
 * (a single-user desk has no one to keep out). A role list: a user holding one of them; on a desk without users,
 * the vault-passphrase holder (the bootstrap actor, an admin until the first user exists).
 */
export type Audience = 'anyone' | 'user' | readonly Role[];

/** Checks on the object acted upon, beyond roles; each is enforced where the object lives. */
export const OBJECT_CHECKS = {
  submitRoles: "the item's workflow template names the actor's role among those that may submit",
  fourEyes: 'the actor never signed, submitted nor resubmitted the item, and holds a role of the current stage',
  submitterOrAdmin: 'the actor submitted or resubmitted the item, or is an admin',
  publishRoles: "the item's workflow template names the actor's role among those that may publish",
  folderOwnerOrAdmin: 'the actor configured the watched folder, or is an admin',
  lastAdmin: 'the change leaves at least one active admin',
  firstUserAdmin: 'the first user of a desk is an admin',
  signedCopyForSigners: 'a signed copy not yet published goes only to those who may sign; a published file to any user',
  eachItem: "each item is authorized on its own, by the rule of the action asked and that rule's object check",
  publicPicture: "a caller without an account sees a record's picture only once the item is published",
} as const;
export type ObjectCheck = keyof typeof OBJECT_CHECKS;

export interface Rule {
  who: Audience;
  object?: readonly ObjectCheck[];
}

/** Every role that acts on items and files: everyone but a viewer, who only reads. */
export const ACTING_ROLES = ['admin', 'editor', 'chief', 'legal'] as const satisfies readonly Role[];
const ADMIN = ['admin'] as const satisfies readonly Role[];
const FOLDERS = ['admin', 'editor'] as const satisfies readonly Role[];

export const POLICY = {
  // The desk itself and sessions: what a login screen needs.
  info: { who: 'anyone' },
  unlock: { who: 'anyone' },
  login: { who: 'anyone' },
  logout: { who: 'anyone' },
  whoami: { who: 'anyone' },
  // Native pickers return paths the person at this screen chose; they read and change nothing.
  pickFiles: { who: 'anyone' },
  pickFolder: { who: 'anyone' },
  // Verification is for anyone holding a copy; its audit entry names the user when one is logged in.
  verify: { who: 'anyone' },
  progress: { who: 'anyone' },
  // The record a verdict names, as a verifier may see it (core/api/public-record.ts): facts, never workflow.
  publicRecord: { who: 'anyone', object: ['publicPicture'] },

  sign: { who: ACTING_ROLES },
  // Reading a file's IPTC fields is the first step of signing it (the form is prefilled from them).
  fileMetadata: { who: ACTING_ROLES },
  items: { who: 'user' },
  item: { who: 'user' },
  thumbnail: { who: 'user' },
  reveal: { who: 'user', object: ['signedCopyForSigners'] },
  fileDownload: { who: 'user', object: ['signedCopyForSigners'] },
  // The whole picture (the loupe) is the file itself; the original beside it is work not yet published too.
  picture: { who: 'user', object: ['signedCopyForSigners'] },
  // Each user's own Library views.
  viewPrefs: { who: 'user' },
  viewPrefsSet: { who: 'user' },

  queue: { who: 'user' },
  submit: { who: ACTING_ROLES, object: ['submitRoles'] },
  approve: { who: ACTING_ROLES, object: ['fourEyes'] },
  reject: { who: ACTING_ROLES, object: ['fourEyes'] },
  requestChanges: { who: ACTING_ROLES, object: ['fourEyes'] },
  resubmit: { who: ACTING_ROLES, object: ['submitRoles'] },
  withdraw: { who: ACTING_ROLES, object: ['submitterOrAdmin'] },
  publish: { who: ACTING_ROLES, object: ['publishRoles'] },
  comment: { who: ACTING_ROLES },
  bulk: { who: ACTING_ROLES, object: ['eachItem'] },

  auditList: { who: 'user' },
  auditVerify: { who: 'user' },
  auditExport: { who: 'user' },

  watchFolders: { who: 'user' },
  watchJobs: { who: 'user' },
  watchAdd: { who: FOLDERS },
  watchRemove: { who: FOLDERS, object: ['folderOwnerOrAdmin'] },
  watchStart: { who: FOLDERS },
  watchStop: { who: FOLDERS },
  // Listing the sub-folders under the allowed roots is the first step of adding a folder (web mode's picker).
  folderList: { who: FOLDERS },
  watchRun: { who: FOLDERS },

  users: { who: 'user' },
  userAdd: { who: ADMIN, object: ['firstUserAdmin'] },
  userSetRoles: { who: ADMIN, object: ['lastAdmin'] },
  userDisable: { who: ADMIN, object: ['lastAdmin'] },
  // The newsroom's directory (LDAP/AD): its configuration names servers and groups, so only admins read it.
  directory: { who: ADMIN },
  directorySet: { who: ADMIN },
  directoryTest: { who: ADMIN },
  directoryRemove: { who: ADMIN },

  keys: { who: 'user' },
  certificates: { who: 'user' },
  certificateImport: { who: ADMIN },
  trustAdd: { who: ADMIN },
  settings: { who: 'user' },
  settingsSet: { who: ADMIN },
  // The hub link's status (no secret in it): any user.
  hubStatus: { who: 'user' },
  // Whoever may sign may finish the signatures' time-stamps (it only asks the TSA an admin configured).
  timestampsStamp: { who: ACTING_ROLES },
  templates: { who: 'user' },
  templateSave: { who: ADMIN },
  // The hub link holds an API key in the vault and decides what leaves the desk.
  hubConnect: { who: ADMIN },
  hubRetryParked: { who: ADMIN },
  // Which node and registry the desk believes decides what it marks confirmed: an admin's choice.
  hubCheckChain: { who: ADMIN },
} as const satisfies Record<UseCase, Rule>;

/** What each use case is, in words, for messages ("expected a user with role admin to add trust anchors"). */
const DOING: Partial<Record<UseCase, string>> = {
  sign: 'sign files',
  fileMetadata: "read a file's metadata for signing",
  requestChanges: 'request changes',
  comment: 'comment on items',
  auditExport: 'export the audit log',
  watchAdd: 'add watched folders',
  watchRemove: 'remove watched folders',
  watchStart: 'start watching folders',
  watchStop: 'stop watching folders',
  watchRun: 'watch folders',
  folderList: 'browse folders to watch',
  userAdd: 'add users',
  userSetRoles: 'change roles',
  userDisable: 'disable users',
  directory: 'read the directory configuration',
  directorySet: 'configure the directory',
  directoryTest: 'test the directory',
  directoryRemove: 'remove the directory configuration',
  certificateImport: 'import certificates',
  trustAdd: 'add trust anchors',
  settingsSet: 'change settings',
  templateSave: 'edit workflow templates',
  timestampsStamp: 'obtain pending time-stamps',
  hubConnect: 'connect the desk to a hub',
  hubRetryParked: 'send refused rows to the hub again',
  hubCheckChain: "confirm the hub's chain references on a chain",
  fileDownload: "download an item's file",
};
const doing = (u: UseCase): string => DOING[u] ?? (['submit', 'approve', 'reject', 'resubmit', 'withdraw', 'publish'].includes(u) ? `${u} items` : `use ${u}`);

const rolesOf = (a: Actor): string => a.roles.join(', ') || 'no roles';

export function ruleFor(useCase: UseCase): Rule {
  const rule = (POLICY as Record<string, Rule>)[useCase];
  // A use case without a rule is refused, never let through: the policy test names it.
  if (!rule) throw new CustodyError('NOT_PERMITTED', `expected a rule for ${String(useCase)} in the authorization policy, got none`);
  return rule;
}

/** Whether the actor's roles let them act (roles only; object checks come where the object is). */
export function allows(useCase: UseCase, actor: Actor | null, hasUsers: boolean): boolean {
  const { who } = ruleFor(useCase);
  if (who === 'anyone') return true;
  if (who === 'user') return actor !== null || !hasUsers;
  return actor !== null && actor.roles.some((r) => who.includes(r));
}

/**
 * Every use case the actor's roles allow (roles only: the object checks answer per object, as an item's `can`).
 * What the screens show comes from here, so the buttons a person sees are the rules the desk enforces.
 */
export function allowedUseCases(actor: Actor | null, hasUsers: boolean): UseCase[] {
  return (Object.keys(POLICY) as UseCase[]).filter((u) => allows(u, actor, hasUsers));
}

/**
 * Checks the actor against the use case's rule and returns them; throws NOT_AUTHENTICATED when no one acts
 * and someone must, NOT_PERMITTED when the actor's roles do not allow it. `hasUsers`: whether the desk has users
 * (a desk without them lets anyone read, and acts through the vault-passphrase holder).
 */
export function authorize(useCase: UseCase, actor: Actor | null, hasUsers: boolean): Actor | null {
  if (allows(useCase, actor, hasUsers)) return actor;
  const { who } = ruleFor(useCase);
  if (actor === null) {
    if (!hasUsers) throw new CustodyError('KEY_LOCKED', `expected the desk keys unlocked to ${doing(useCase)} on a desk without users, but they are locked`);
    throw new CustodyError('NOT_AUTHENTICATED', `expected a logged-in user to ${doing(useCase)}, got no one: log in first`);
  }
  if (who === 'user' || who === 'anyone') throw new CustodyError('NOT_PERMITTED', `expected a user to ${doing(useCase)}, got ${actor.name}`);
  if (who.length === 1 && who[0] === 'admin') {
    throw new CustodyError('NOT_PERMITTED', `expected an admin to ${doing(useCase)}, got ${actor.name} with roles ${actor.roles.join(', ') || 'none'}`);
  }
  throw new CustodyError('NOT_PERMITTED', `expected a user with role ${who.join(' or ')} to ${doing(useCase)}, got ${actor.name} with ${rolesOf(actor)}`);
}

/** For acts: an actor is needed whatever the rule, and is returned. */
export function authorizeActor(useCase: UseCase, actor: Actor | null, hasUsers = true): Actor {
  const a = authorize(useCase, actor, hasUsers);
  if (a) return a;
  if (!hasUsers) throw new CustodyError('KEY_LOCKED', `expected the desk keys unlocked to ${doing(useCase)} on a desk without users, but they are locked`);
  throw new CustodyError('NOT_AUTHENTICATED', `expected a logged-in user to ${doing(useCase)}, got no one: log in first`);
}

// Object checks shared by the places that enforce them.

/** publicPicture: the signed picture for a caller without an account only once published; users see it always. */
export const publicPicture = (o: { published: boolean; user: boolean }): boolean => o.published || o.user;

/** Four-eyes: whoever submitted or resubmitted an item may not approve it, at any stage. */
export const isSubmitter = (actor: string, submitters: readonly string[]): boolean => submitters.includes(actor);

export const submitterOrAdmin = (actor: string, roles: readonly Role[], submitters: readonly string[]): boolean =>
  isSubmitter(actor, submitters) || roles.includes('admin');

export const folderOwnerOrAdmin = (actor: Actor, owner: string): boolean => actor.name === owner || actor.roles.includes('admin');

/**
 * signedCopyForSigners: a published file goes to anyone the use case lets in; the signed copy of work not yet
 * published only to those who may sign (a viewer sees the library, not the files). Throws like authorize().
 */
export function checkSignedCopy(useCase: UseCase, actor: Actor | null, hasUsers: boolean, published: boolean): void {
  authorize(useCase, actor, hasUsers);
  if (published || allows('sign', actor, hasUsers)) return;
  if (actor === null) {
    if (!hasUsers) throw new CustodyError('KEY_LOCKED', `expected the desk keys unlocked to ${doing(useCase)} (a signed copy not yet published), but they are locked`);
    throw new CustodyError('NOT_AUTHENTICATED', `expected a logged-in user to ${doing(useCase)}, got no one: log in first`);
  }
  throw new CustodyError('NOT_PERMITTED', `expected a user who may sign (${ACTING_ROLES.join(', ')}) to ${doing(useCase)} before it is published, got ${actor.name} with ${rolesOf(actor)}`);
}
