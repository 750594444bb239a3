// Certificates for the test control plane, made with the openssl CLI (Node cannot issue
// X.509 certificates by itself). One CA signs the API server's serving certificate and the
// admin client certificate; a separate RSA pair signs service-account tokens.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

/**
 * Names the serving certificate is valid for. `localhost` is left out on purpose: tests use
 * it as "a second name for the same address" to prove that the API-server rewrite keeps TLS
 * verification through `tls-server-name` instead of switching it off.
 */
export const SERVING_NAMES = {
  dns: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
  ip: ['127.0.0.1', '10.96.0.1'],
};

async function openssl(cwd: string, args: string[]): Promise<void> {
  await execa('openssl', args, { cwd, stdin: 'ignore' });
}

export async function createPki(dir: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true });
  const days = '3650';
  await openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    days,
    '-subj',
    '/CN=spd-test-ca',
  ]);

  const sans = [...SERVING_NAMES.dns.map((n) => `DNS:${n}`), ...SERVING_NAMES.ip.map((n) => `IP:${n}`)].join(',');
  writeFileSync(
    join(dir, 'server.ext'),
    `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`,
  );
  await openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=kube-apiserver',
  ]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    days,
    '-extfile',
    'server.ext',
  ]);

  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n');
  await openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'admin.key',
    '-out',
    'admin.csr',
    '-subj',
    '/O=system:masters/CN=spd-admin',
  ]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'admin.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'admin.crt',
    '-days',
    days,
    '-extfile',
    'client.ext',
  ]);

  await openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  await openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);

  const at = (f: string) => join(dir, f);
  return {
    dir,
    caCert: at('ca.crt'),
    caKey: at('ca.key'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    adminCert: at('admin.crt'),
    adminKey: at('admin.key'),
    serviceAccountKey: at('sa.key'),
    serviceAccountPub: at('sa.pub'),
  };
}
