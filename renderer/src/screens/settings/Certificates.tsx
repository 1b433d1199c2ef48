// Keys and certificates: the desk's signing keys, the Content Credentials chain, the roots verification trusts;
// export the org root, import a CA-issued chain, trust another root.
import { useState, type FormEvent } from 'react';
import type { DeskResult } from '../../../../core/api/desk-api.ts';
import { desk, download, errorText } from '../../api.ts';
import { Alert } from '../../components/Alert.tsx';
import { dateTime, shortHash } from '../../format.ts';
import { useLoad } from '../../hooks.ts';

type Cert = DeskResult<'certificates'>['chain'][number];

const readText = (f: File | undefined): Promise<string> => (f ? f.text() : Promise.resolve(''));

export function Certificates({ isAdmin }: { isAdmin: boolean }) {
  const keys = useLoad(() => desk.keys({}), []);
  const certs = useLoad(() => desk.certificates({}), []);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const done = (text: string) => {
    setError(null);
    setNotice(text);
    certs.reload();
  };

  const importChain = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    try {
      const chainPem = await readText(form.get('chain') as File | undefined);
      const keyPem = await readText(form.get('key') as File | undefined);
      const r = await desk.certificateImport({ chainPem, keyPem });
      done(`Content Credentials will be signed by ${r.subject} (issued by ${r.issuer}).`);
    } catch (err) {
      setError(errorText(err));
    }
  };
  const trust = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    try {
      const pem = await readText(new FormData(e.currentTarget).get('anchor') as File | undefined);
      const r = await desk.trustAdd({ pem });
      done(`Trusted ${r.added} more certificate${r.added === 1 ? '' : 's'}.`);
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div>
      <h2>Signing keys</h2>
      <table>
        <thead><tr><th scope="col">Key</th><th scope="col">Algorithm</th><th scope="col">Public key</th><th scope="col">Created</th><th scope="col">Status</th></tr></thead>
        <tbody>
          {keys.data?.map((k) => (
            <tr key={k.id}>
              <td><code>{k.id}</code></td><td>{k.algorithm}</td><td><code title={k.publicKey}>{shortHash(k.publicKey, 24)}</code></td>
              <td>{dateTime(k.createdAt)}</td><td>{k.retiredAt ? `retired ${dateTime(k.retiredAt)}` : 'in use'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Content Credentials chain</h2>
      <CertTable certs={certs.data?.chain ?? []} />
      <h2>Trusted roots</h2>
      <CertTable certs={certs.data?.anchors ?? []} />
      {certs.data?.orgRootPem && (
        <button onClick={() => download(certs.data!.orgRootPem!, 'custody-org-root.pem', 'application/x-pem-file')}>Export the org root (PEM)</button>
      )}
      <Alert text={notice} kind="ok" />
      <Alert text={error ?? certs.error ?? keys.error} />
      {isAdmin && (
        <div className="two-col">
          <form className="card" onSubmit={(e) => void importChain(e)} aria-label="Import a certificate chain">
            <h3>Use a CA-issued certificate</h3>
            <label>Certificate chain (PEM, signing certificate first)<input type="file" name="chain" accept=".pem,.crt,.cer" required /></label>
            <label>Private key (PKCS#8 PEM)<input type="file" name="key" accept=".pem,.key" required /></label>
            <button type="submit">Import</button>
          </form>
          <form className="card" onSubmit={(e) => void trust(e)} aria-label="Trust another root">
            <h3>Trust another root</h3>
            <label>Root certificates (PEM)<input type="file" name="anchor" accept=".pem,.crt,.cer" required /></label>
            <button type="submit">Trust</button>
          </form>
        </div>
      )}
    </div>
  );
}

function CertTable({ certs }: { certs: Cert[] }) {
  if (certs.length === 0) return <p className="muted">None.</p>;
  const now = new Date().toISOString();
  return (
    <table>
      <thead><tr><th scope="col">Subject</th><th scope="col">Issuer</th><th scope="col">Valid</th><th scope="col">Key</th><th scope="col">SHA-256</th></tr></thead>
      <tbody>
        {certs.map((c) => (
          <tr key={c.sha256}>
            <td>{c.subject}{c.isCa ? ' (CA)' : ''}</td>
            <td>{c.issuer}</td>
            <td className={`dates${c.notAfter < now ? ' bad-text' : ''}`}>{c.notBefore.slice(0, 10)} – {c.notAfter.slice(0, 10)}</td>
            <td>{c.key}</td>
            <td><code title={c.sha256}>{shortHash(c.sha256, 16)}</code></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
