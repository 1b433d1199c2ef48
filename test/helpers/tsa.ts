// A real RFC 3161 time-stamp authority for tests: a TSA certificate chain made here (an EC P-256 root and a
// time-stamping certificate under the C2PA/RFC 3161 profile), and an HTTP server on 127.0.0.1 that answers each
// request with `openssl ts -reply`. Stopping the server takes the TSA offline (connections refused).
import { execFile } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { x509 } from '../../core/c2pa/x509.ts';
import { tempDir } from './cli.ts';

const run = promisify(execFile);
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface TsaPki {
  rootPem: string;
  tsaCertPem: string;
  tsaKeyPem: string;
}

function pem(label: string, der: ArrayBuffer): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END ${label}-----\n`;
}

/** A TSA root and its time-stamping certificate (EKU timeStamping only, critical; RFC 3161 §2.3). */
export async function createTsaPki(name = 'Test TSA'): Promise<TsaPki> {
  const now = Date.now();
  const rootKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name} Root, O=${name}`,
    keys: rootKeys,
    signingAlgorithm: SIGN,
    serialNumber: '01',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 20 * 365 * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const tsaKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const tsa = await x509.X509CertificateGenerator.create({
    subject: `CN=${name} Unit, O=${name}`,
    issuer: root.subject,
    publicKey: tsaKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: SIGN,
    serialNumber: '02',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 10 * 365 * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.timeStamping], true),
      await x509.SubjectKeyIdentifierExtension.create(tsaKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root),
    ],
  });
  return {
    rootPem: root.toString('pem') + '\n',
    tsaCertPem: tsa.toString('pem') + '\n',
    tsaKeyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', tsaKeys.privateKey)),
  };
}

export interface TsaServer {
  url: string;
  pki: TsaPki;
  /** Requests answered so far. */
  readonly answered: number;
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** Starts an RFC 3161 responder (openssl ts -reply) on 127.0.0.1 at a port the OS picks. */
export async function startTsa(pki?: TsaPki): Promise<TsaServer> {
  const keys = pki ?? (await createTsaPki());
  const dir = tempDir('custody-tsa-');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tsa.pem'), keys.tsaCertPem);
  writeFileSync(join(dir, 'tsa.key'), keys.tsaKeyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'serial'), '01\n');
  const config = join(dir, 'openssl.cnf');
  writeFileSync(
    config,
    [
      '[ tsa ]',
      'default_tsa = tsa_config',
      '[ tsa_config ]',
      `serial = ${join(dir, 'serial')}`,
      'crypto_device = builtin',
      `signer_cert = ${join(dir, 'tsa.pem')}`,
      `signer_key = ${join(dir, 'tsa.key')}`,
      'signer_digest = sha256',
      'default_policy = 1.3.6.1.4.1.4146.2.3',
      'digests = sha256, sha384, sha512',
      'accuracy = secs:1',
      'ordering = no',
      'tsa_name = no',
      'ess_cert_id_chain = no',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  );
  let answered = 0;
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = ++n;
      const query = join(dir, `q${id}.tsq`);
      const reply = join(dir, `r${id}.tsr`);
      writeFileSync(query, Buffer.concat(chunks));
      run('openssl', ['ts', '-reply', '-config', config, '-queryfile', query, '-out', reply])
        .then(async () => {
          const body = await readFile(reply);
          answered++;
          res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(body);
        })
        .catch((e: unknown) => res.writeHead(500).end(String(e)));
    });
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/tsr`,
    pki: keys,
    get answered() {
      return answered;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    start: () => listen(port),
  };
}
