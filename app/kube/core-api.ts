// The CoreV1Api a cluster connection uses: client-node's, on the kept-alive pool, with the
// three writes every create and delete makes (POST Pod, POST Service, DELETE Pod) sent as
// plain JSON requests. client-node 1.x runs each call through node-fetch, an rxjs-style
// middleware chain and its ObjectSerializer, which walks the typed model of a Pod both ways:
// profiled, that was about 2.2 ms of our CPU per create (of 11-15 ms), on the path whose
// latency DeerFlow waits for. Everything else that makes a request the same stays the
// library's: the kubeconfig authenticates each one (exec tokens, client certificates,
// tls-server-name of the K8S_API_SERVER rewrite) and chooses the agent, which the pool swaps
// for its kept-alive one; a failure is client-node's ApiException (code, Status body,
// headers), so every caller's checks (404, 409, 422 "port is already allocated") hold as they
// were. Answers are the API server's JSON as parsed, as the watch delivers objects (dates as
// strings, not Date).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  ApiException,
  CoreV1Api,
  type CoreV1ApiCreateNamespacedPodRequest,
  type CoreV1ApiCreateNamespacedServiceRequest,
  type CoreV1ApiDeleteNamespacedPodRequest,
  HttpMethod,
  type KubeConfig,
  RequestContext,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import { type AgentPool, authenticate, makeApiClient } from './api-client.js';

/** The parameters the plain path sends; a call with any other (dryRun, pretty, …) takes the library's path. */
const PLAIN_CREATE = new Set(['namespace', 'body']);
const PLAIN_DELETE = new Set(['name', 'namespace', 'body']);
const onlyKeys = (param: object, allowed: Set<string>, options: unknown) =>
  options === undefined && Object.entries(param).every(([k, v]) => allowed.has(k) || v === undefined);

/** One JSON request on the kubeconfig's authentication and `pool`'s connections. */
async function jsonRequest<T>(kc: KubeConfig, pool: AgentPool, method: HttpMethod, path: string, body: unknown): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('No active cluster!');
  const url = new URL(`${cluster.server.replace(/\/+$/, '')}${path}`);
  const context = new RequestContext(url.toString(), method);
  await authenticate(kc, pool, context);
  const agent = context.getAgent();
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string | number> = { ...context.getHeaders(), accept: 'application/json' };
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = payload.length;
  }
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return await new Promise<T>((resolve, reject) => {
    const req = send(url, { method, headers, agent: agent as never }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const code = res.statusCode ?? 0;
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // Not JSON (a proxy's error page): kept as text for the error below.
        }
        if (code >= 200 && code < 300) resolve(parsed as T);
        else {
          const responseHeaders: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) responseHeaders[k] = String(v);
          reject(new ApiException(code, `HTTP-Code: ${code}\nMessage: ${method} ${url.pathname}\nBody: ${text}`, parsed, responseHeaders));
        }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The connection's CoreV1Api: client-node's on `pool`, its three hot writes plain JSON (see above). */
export function makeCoreApi(kc: KubeConfig, pool: AgentPool): CoreV1Api {
  const send = <T>(method: HttpMethod, path: string, body: unknown) => jsonRequest<T>(kc, pool, method, path, body);
  const ns = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}`;
  type Options = Parameters<CoreV1Api['createNamespacedPod']>[1];
  class PlainWritesCoreV1Api extends CoreV1Api {
    override createNamespacedPod(param: CoreV1ApiCreateNamespacedPodRequest, options?: Options): Promise<V1Pod> {
      if (!onlyKeys(param, PLAIN_CREATE, options)) return super.createNamespacedPod(param, options);
      return send(HttpMethod.POST, `${ns(param.namespace)}/pods`, param.body);
    }

    override createNamespacedService(param: CoreV1ApiCreateNamespacedServiceRequest, options?: Options): Promise<V1Service> {
      if (!onlyKeys(param, PLAIN_CREATE, options)) return super.createNamespacedService(param, options);
      return send(HttpMethod.POST, `${ns(param.namespace)}/services`, param.body);
    }

    override deleteNamespacedPod(param: CoreV1ApiDeleteNamespacedPodRequest, options?: Options): Promise<V1Pod> {
      if (!onlyKeys(param, PLAIN_DELETE, options)) return super.deleteNamespacedPod(param, options);
      return send(HttpMethod.DELETE, `${ns(param.namespace)}/pods/${encodeURIComponent(param.name)}`, param.body);
    }
  }
  return makeApiClient(kc, PlainWritesCoreV1Api, pool);
}
