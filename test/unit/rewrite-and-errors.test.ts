import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ClusterError, toClusterError, withTimeout } from '../../app/kube/errors.js';
import { isLoopbackServerHost, rewriteApiServer } from '../../app/kube/rewrite.js';
import { SandboxNotFoundError, ValidationError } from '../../app/sandbox/provisioner.js';
import { keyMatches } from '../../app/server/auth.js';
import { toHttpError } from '../../app/server/http-errors.js';

describe('rewriteApiServer', () => {
  it('keeps verifying a loopback server under its original name', () => {
    expect(rewriteApiServer({ server: 'https://127.0.0.1:6443' }, 'https://host.docker.internal:6443')).toEqual({
      server: 'https://host.docker.internal:6443',
      tlsServerName: '127.0.0.1',
    });
    expect(rewriteApiServer({ server: 'https://localhost:40000' }, 'https://host.docker.internal:40000').tlsServerName).toBe('localhost');
    expect(rewriteApiServer({ server: 'https://[::1]:6443' }, 'https://host.docker.internal:6443').tlsServerName).toBe('::1');
  });
  it('maps listen-all addresses to the loopback name a certificate carries', () => {
    expect(rewriteApiServer({ server: 'https://0.0.0.0:6443' }, 'https://h:6443').tlsServerName).toBe('127.0.0.1');
  });
  it('leaves tls-server-name alone for non-loopback servers and when already set', () => {
    expect(rewriteApiServer({ server: 'https://10.0.0.5:6443' }, 'https://h:6443').tlsServerName).toBeUndefined();
    expect(rewriteApiServer({ server: 'https://127.0.0.1:6443', tlsServerName: 'kubernetes' }, 'https://h:6443').tlsServerName).toBe(
      'kubernetes',
    );
  });
  it('skips verification only when asked', () => {
    expect(rewriteApiServer({ server: 'https://127.0.0.1:6443' }, 'https://h:6443', { insecureSkipTlsVerify: true })).toEqual({
      server: 'https://h:6443',
      skipTLSVerify: true,
    });
  });
  it('knows loopback hosts', () => {
    expect(['localhost', '127.0.0.1', '127.0.1.1', '[::1]', '0.0.0.0', 'kind.localhost'].every(isLoopbackServerHost)).toBe(true);
    expect(['kubernetes.docker.internal', '10.0.0.1', 'example.com'].some(isLoopbackServerHost)).toBe(false);
  });
});

describe('toClusterError', () => {
  const server = 'https://127.0.0.1:6443';
  it('classifies connection failures as unreachable, naming the server and a way to check', () => {
    const e = toClusterError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), server);
    expect(e.kind).toBe('unreachable');
    expect(e.message).toContain(server);
    expect(e.message).toContain('kubectl cluster-info');
  });
  it('classifies nested TLS causes', () => {
    const inner = Object.assign(new Error('altnames'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(toClusterError(Object.assign(new Error('request failed'), { cause: inner }), server).kind).toBe('tls');
  });
  it('keeps API statuses with their message', () => {
    const e = toClusterError(
      new ApiException(403, 'Forbidden', JSON.stringify({ message: 'services "x" is forbidden: exceeded quota' }), {}),
      server,
    );
    expect(e).toMatchObject({ kind: 'forbidden', apiStatus: 403 });
    expect(e.message).toContain('exceeded quota');
    expect(toClusterError(new ApiException(500, 'x', '{"message":"boom"}', {}), server)).toMatchObject({ kind: 'api', message: 'boom' });
  });
  it('withTimeout bounds a hanging call', async () => {
    await expect(withTimeout(new Promise(() => {}), 20, 'list Pods', server)).rejects.toThrow(/did not answer list Pods within 20 ms/);
  });
});

describe('toHttpError', () => {
  it('maps core errors to statuses', () => {
    expect(toHttpError(new SandboxNotFoundError('x'))).toEqual({ status: 404, detail: "Sandbox 'x' not found" });
    expect(toHttpError(new ValidationError('thread_id', 'is bad'))).toEqual({
      status: 422,
      detail: [{ loc: ['body', 'thread_id'], msg: 'thread_id is bad', type: 'value_error' }],
    });
    expect(toHttpError(new ClusterError('unreachable', 'down')).status).toBe(503);
    expect(toHttpError(new ClusterError('forbidden', 'no')).status).toBe(502);
    expect(toHttpError(new ClusterError('api', 'too many requests', 429))).toEqual({
      status: 503,
      detail: 'Kubernetes is busy or failing; try again shortly: too many requests',
    });
    expect(toHttpError(new ClusterError('api', 'etcdserver: timeout', 500)).status).toBe(503);
    expect(toHttpError(new ClusterError('api', 'invalid', 422)).status).toBe(500);
    expect(toHttpError(new Error('secret stack')).detail).not.toContain('secret');
  });
});

describe('keyMatches', () => {
  it('compares keys exactly, whatever their lengths', () => {
    expect(keyMatches('abc', 'abc')).toBe(true);
    expect(keyMatches('abd', 'abc')).toBe(false);
    expect(keyMatches('ab', 'abc')).toBe(false);
    expect(keyMatches(undefined, 'abc')).toBe(false);
  });
});
