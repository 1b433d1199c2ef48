// A real OpenLDAP server for tests: slapd (Debian package `slapd`) from a slapd.conf in a temp dir, mdb backend,
// the memberof overlay (so groups added while it runs fill memberOf, nested groups included) and ppolicy (so an
// account can be locked the OpenLDAP way, with pwdAccountLockedTime). TLS with a CA and a server certificate
// generated here with the openssl CLI; plain LDAP (for StartTLS) and LDAPS each on a port the OS picked.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import type { LdapConfigInput } from '../../core/directory/ldap-config.ts';

export const SLAPD = ['/usr/sbin/slapd', '/usr/lib/slapd'].find((p) => existsSync(p)) ?? null;
const MODULES = ['/usr/lib/ldap', '/usr/lib/x86_64-linux-gnu/ldap', '/usr/lib/aarch64-linux-gnu/ldap'].find((p) => existsSync(join(p, 'memberof.la')) || existsSync(join(p, 'memberof.so'))) ?? null;
const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Why slapd cannot run here, or null when it can. */
export const slapdMissing: string | null = !SLAPD
  ? 'slapd is not installed (Debian: apt-get install slapd ldap-utils)'
  : !MODULES
    ? 'the slapd overlay modules (memberof, ppolicy) were not found'
    : !hasOpenssl
      ? 'the openssl command is not installed'
      : null;

export const BASE = 'dc=example,dc=org';
export const ROOT_DN = `cn=admin,${BASE}`;
export const ROOT_PW = 'root-secret';

export interface Pki {
  caPem: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and a server certificate for 127.0.0.1 and localhost, P-256 keys (fast to make). */
export function makePki(dir: string, name = 'ca'): Pki {
  mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=Custody test ${name}`], dir);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', `${name}.pem`, '-CAkey', `${name}.key`, '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext'], dir);
  return { caPem: readFileSync(join(dir, `${name}.pem`), 'utf8'), caFile: join(dir, `${name}.pem`), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export class Slapd {
  readonly dir: string;
  readonly pki: Pki;
  ldapPort = 0;
  ldapsPort = 0;
  #proc: ChildProcess | null = null;

  private constructor(dir: string, pki: Pki) {
    this.dir = dir;
    this.pki = pki;
  }

  get ldapUrl(): string {
    return `ldap://127.0.0.1:${this.ldapPort}`;
  }

  get ldapsUrl(): string {
    return `ldaps://127.0.0.1:${this.ldapsPort}`;
  }

  static async start(): Promise<Slapd> {
    if (slapdMissing) throw new Error(slapdMissing);
    const dir = mkdtempSync(join(tmpdir(), 'custody-slapd-'));
    const s = new Slapd(dir, makePki(join(dir, 'pki')));
    mkdirSync(join(dir, 'db'));
    const schema = ['core', 'cosine', 'inetorgperson', 'nis'].map((n) => `include /etc/ldap/schema/${n}.schema`).join('\n');
    writeFileSync(
      join(dir, 'slapd.conf'),
      `${schema}
modulepath ${MODULES}
moduleload back_mdb
moduleload memberof
moduleload ppolicy
pidfile ${join(dir, 'slapd.pid')}
# Like a permissive server: a DN with an empty password is accepted as an unauthenticated bind (RFC 4513 §5.1.2).
allow bind_anon_dn
TLSCACertificateFile ${s.pki.caFile}
TLSCertificateFile ${s.pki.certFile}
TLSCertificateKeyFile ${s.pki.keyFile}
database mdb
suffix "${BASE}"
rootdn "${ROOT_DN}"
rootpw ${ROOT_PW}
directory ${join(dir, 'db')}
maxsize 16777216
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint TRUE
overlay ppolicy
ppolicy_default "cn=default,ou=policies,${BASE}"
`,
    );
    await s.resume();
    return s;
  }

  /** Starts (or restarts, on the same ports and data) the server and waits until it accepts connections. */
  async resume(): Promise<void> {
    if (this.#proc) return;
    if (!this.ldapPort) this.ldapPort = await freePort();
    if (!this.ldapsPort) this.ldapsPort = await freePort();
    // -d 0: stay in the foreground (the test owns the process) without debug output.
    const proc = spawn(SLAPD!, ['-d', '0', '-f', join(this.dir, 'slapd.conf'), '-h', `${this.ldapUrl}/ ${this.ldapsUrl}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    this.#proc = proc;
    const started = Date.now();
    while (!(await canConnect(this.ldapPort))) {
      if (proc.exitCode !== null) throw new Error(`slapd exited with ${proc.exitCode}: ${stderr}`);
      if (Date.now() - started > 10_000) throw new Error(`slapd did not start within 10 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops the server (the directory "goes away"); resume() brings it back with the same data. */
  async stop(): Promise<void> {
    const proc = this.#proc;
    if (!proc) return;
    this.#proc = null;
    const exited = new Promise<void>((resolve) => (proc.exitCode !== null ? resolve() : proc.once('exit', () => resolve())));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A client bound as the directory's root, over StartTLS, to load and change entries. */
  async admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ url: this.ldapUrl, timeout: 5000, connectTimeout: 5000 });
    try {
      await c.startTLS({ ca: [this.pki.caPem] });
      await c.bind(ROOT_DN, ROOT_PW);
      return await fn(c);
    } finally {
      await c.unbind().catch(() => undefined);
    }
  }
}

export const PEOPLE = `ou=people,${BASE}`;
export const GROUPS = `ou=groups,${BASE}`;
export const SERVICE_DN = `cn=custody-svc,${BASE}`;
export const SERVICE_PW = 'svc-secret';
export const userDn = (uid: string): string => `uid=${uid},${PEOPLE}`;
export const groupDn = (cn: string): string => `cn=${cn},${GROUPS}`;

/**
 * A small newsroom. Groups are added after their members, with the server running, so that the memberof overlay
 * fills memberOf (nested: photo-desk is a member of editors). bob is locked by ppolicy (pwdAccountLockedTime), the
 * OpenLDAP way of disabling an account: his bind fails like a wrong password. frank is only in a POSIX group.
 */
export async function loadNewsroom(s: Slapd): Promise<void> {
  await s.admin(async (c) => {
    await c.add(BASE, { objectClass: ['top', 'dcObject', 'organization'], o: 'Example', dc: 'example' });
    for (const ou of ['people', 'groups', 'policies']) await c.add(`ou=${ou},${BASE}`, { objectClass: ['organizationalUnit'], ou });
    await c.add(`cn=default,ou=policies,${BASE}`, { objectClass: ['pwdPolicy', 'person'], cn: 'default', sn: 'policy', pwdAttribute: 'userPassword', pwdLockout: 'TRUE' });
    await c.add(SERVICE_DN, { objectClass: ['person'], cn: 'custody-svc', sn: 'service', userPassword: SERVICE_PW });
    for (const uid of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina']) {
      await c.add(userDn(uid), {
        objectClass: ['inetOrgPerson', 'posixAccount'],
        uid,
        cn: uid,
        sn: uid,
        userPassword: `${uid}-pw`,
        uidNumber: String(1000 + uid.charCodeAt(0)),
        gidNumber: '1000',
        homeDirectory: `/home/${uid}`,
        ...(uid === 'bob' ? { pwdAccountLockedTime: '000001010000Z' } : {}),
      });
    }
    const group = (cn: string, members: string[]) => c.add(groupDn(cn), { objectClass: ['groupOfNames'], cn, member: members });
    await group('photo-desk', [userDn('alice'), userDn('bob')]);
    await group('editors', [groupDn('photo-desk')]);
    await group('chiefs', [userDn('carol'), userDn('gina')]);
    await group('legal', [userDn('dave')]);
    await group('custody-admins', [userDn('dave')]);
    await c.add(`cn=posix-legal,${GROUPS}`, { objectClass: ['posixGroup'], cn: 'posix-legal', gidNumber: '2000', memberUid: ['frank'] });
  });
}

/** The newsroom's group-to-role rules: dave is an admin (and legal), alice an editor through photo-desk, carol a chief. */
export const NEWSROOM_ROLES: LdapConfigInput['roles'] = [
  { group: groupDn('custody-admins'), roles: ['admin'] },
  { group: groupDn('editors'), roles: ['editor'] },
  { group: groupDn('chiefs'), roles: ['chief', 'editor'] },
  { group: groupDn('legal'), roles: ['legal'] },
];

/** A configuration for this server: LDAPS with its CA pinned, the service account, memberOf with nesting. */
export function newsroomConfig(s: Slapd, over: Partial<LdapConfigInput> = {}): LdapConfigInput {
  return {
    url: s.ldapsUrl,
    caPem: s.pki.caPem,
    bindDn: SERVICE_DN,
    userBase: PEOPLE,
    userFilter: '(&(objectClass=inetOrgPerson)(uid={user}))',
    groups: { mode: 'memberOf', nested: true },
    roles: NEWSROOM_ROLES,
    timeoutMs: 2000,
    ...over,
  };
}
