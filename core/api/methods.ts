// The DeskApi's method names alone, free of zod and of core: what the Electron preload needs, which runs
// sandboxed and can load nothing but `electron` (desk-api.ts checks at compile time that the two lists agree).
export const DESK_METHOD_NAMES = [
  'info', 'unlock', 'login', 'logout', 'whoami', 'sign', 'fileMetadata', 'verify', 'progress', 'publicRecord', 'items', 'item', 'thumbnail', 'pickFiles',
  'pickFolder', 'reveal', 'queue', 'submit', 'approve', 'reject', 'requestChanges', 'resubmit', 'withdraw',
  'publish', 'comment', 'auditList', 'auditVerify', 'auditExport', 'watchFolders', 'watchAdd', 'watchRemove',
  'watchStart', 'watchStop', 'folderList', 'users', 'userAdd', 'userSetRoles', 'userDisable', 'directory', 'directorySet', 'directoryTest', 'directoryRemove', 'keys', 'certificates',
  'certificateImport', 'trustAdd', 'settings', 'settingsSet', 'timestampsStamp', 'templates', 'templateSave', 'hubStatus', 'hubConnect',
  'picture', 'viewPrefs', 'viewPrefsSet', 'bulk',
] as const;

export type DeskMethodName = (typeof DESK_METHOD_NAMES)[number];
