// The upstream-compatible provisioner REST API (docs/provisioner.md): the drop-in DeerFlow's backend
// talks to on port 8002. Only translates HTTP to calls of the core.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import {
  CreateSandboxBody,
  DeleteResponseSchema,
  ErrorSchema,
  SandboxIdParams,
  SandboxListSchema,
  SandboxResponseSchema,
} from '../sandbox/api-schemas.js';
import { toResponse } from '../sandbox/model.js';
import type { SandboxProvisioner } from '../sandbox/provisioner.js';
import { keyMatches } from './auth.js';
import { fastifyErrorToHttp } from './http-errors.js';
import { ProvisionerMetrics } from './metrics.js';
import { guardRoutes, loopbackHostCheck, publicScope } from './route-access.js';

export const PROVISIONER_BODY_LIMIT = 16 * 1024;

export interface ProvisionerApiOptions {
  provisioner: SandboxProvisioner;
  apiKey?: string | undefined;
  log?: (line: string) => void;
  /** What this server supports, for GET /api/capabilities. */
  capabilities?: Record<string, boolean>;
  version?: string;
}

export async function buildProvisionerApi(opts: ProvisionerApiOptions): Promise<FastifyInstance> {
  const log = opts.log ?? (() => {});
  const app = Fastify({
    logger: false,
    bodyLimit: PROVISIONER_BODY_LIMIT,
    // Wrong JSON types are errors, not coerced ("123" stays a string, 123 is rejected).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // An empty body sent as application/json (`curl -X DELETE -H 'Content-Type: application/json'`)
  // is no body, as upstream's FastAPI reads it: a DELETE or GET goes through, and a create
  // then fails its own validation ("the body must be a JSON object"). Anything else is parsed
  // by Fastify's own parser (prototype-poisoning checks included).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') return done(null, undefined);
    return parseJson(req, body.toString(), done);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'DeerFlow Sandbox Provisioner (Sandbox Provisioner Desktop)',
        version: opts.version ?? '0.1.0',
        description: 'Drop-in for the upstream provisioner API: one Pod plus one Service per sandbox_id.',
      },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } } },
    },
  });
  // The interactive docs stay open, as FastAPI's do upstream.
  await app.register(async (scope) => {
    publicScope(scope);
    await scope.register(swaggerUi, { routePrefix: '/docs' });
  });

  // Timed from the first hook, so refused requests get their real duration in the log too.
  app.addHook('onRequest', async (req) => {
    (req as unknown as { startedAt: bigint }).startedAt = process.hrtime.bigint();
  });
  const apiKey = opts.apiKey;
  guardRoutes(app, {
    // With a key, the key is the proof (any Host: DeerFlow's containers name this host in many
    // ways). Without one the server listens on loopback only, and the Host header must name it
    // there, so a web page rebinding its own name to 127.0.0.1 cannot create or delete sandboxes.
    hostAllowed: apiKey ? undefined : loopbackHostOf(app),
    authorized: (req) => apiKey === undefined || keyMatches(req.headers['x-api-key'] as string | undefined, apiKey),
    onForeignHost: (reply) =>
      reply.code(421).send({
        detail:
          'This server answers only requests addressed to it on loopback (Host header 127.0.0.1, localhost or host.docker.internal with its port); set PROVISIONER_API_KEY to serve other names',
      }),
    onUnauthorized: (reply) => reply.code(401).send({ detail: 'Invalid or missing API key (header X-API-Key)' }),
  });
  // One line per request; never headers (they carry the API key).
  app.addHook('onResponse', async (req, reply) => {
    const started = (req as unknown as { startedAt?: bigint }).startedAt;
    const ms = started ? Number(process.hrtime.bigint() - started) / 1e6 : 0;
    log(`${req.method} ${req.url.split('?')[0]} ${reply.statusCode} ${ms.toFixed(1)}ms`);
  });

  app.setErrorHandler((error: FastifyError, req, reply) => {
    const http = fastifyErrorToHttp(error, req.body, PROVISIONER_BODY_LIMIT);
    if (http.status === 500) log(`error on ${req.method} ${req.url.split('?')[0]}: ${error.stack ?? error.message}`);
    return reply.code(http.status).send({ detail: http.detail });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ detail: 'Not Found' }));

  const errors = { 401: ErrorSchema, 404: ErrorSchema, 422: ErrorSchema, 503: ErrorSchema };
  const security = opts.apiKey ? [{ apiKey: [] }] : [];

  const open = { access: 'public' as const };
  app.get(
    '/health',
    { config: open, schema: { hide: false, response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } },
    async () => ({ status: 'ok' }),
  );

  app.get('/openapi.json', { config: open, schema: { hide: true } }, async () => app.swagger());

  app.get('/api/capabilities', { schema: { security } }, async () => opts.capabilities ?? {});

  // Guarded like /api/* (not public): with a key it needs the key; without, loopback Hosts only.
  new ProvisionerMetrics(opts.provisioner).attach(app, { security });

  app.post(
    '/api/sandboxes',
    { schema: { body: CreateSandboxBody, security, response: { 200: SandboxResponseSchema, ...errors } } },
    async (req) => {
      const sandbox = await opts.provisioner.create(req.body);
      return toResponse(sandbox);
    },
  );

  app.get(
    '/api/sandboxes',
    { schema: { security, response: { 200: SandboxListSchema, 401: ErrorSchema, 503: ErrorSchema } } },
    async () => {
      const sandboxes = (await opts.provisioner.list()).map(toResponse);
      return { sandboxes, count: sandboxes.length };
    },
  );

  app.get(
    '/api/sandboxes/:sandbox_id',
    { schema: { params: SandboxIdParams, security, response: { 200: SandboxResponseSchema, ...errors } } },
    async (req) => toResponse(await opts.provisioner.get(req.params.sandbox_id)),
  );

  app.delete(
    '/api/sandboxes/:sandbox_id',
    { schema: { params: SandboxIdParams, security, response: { 200: DeleteResponseSchema, ...errors } } },
    async (req) => opts.provisioner.delete(req.params.sandbox_id),
  );

  return app;
}

/** The Host check for the port the server listens on, made once that port is known. */
function loopbackHostOf(app: FastifyInstance): (host: string) => boolean {
  let check: ((host: string) => boolean) | undefined;
  return (host) => {
    if (!check) {
      const address = app.server.address();
      if (typeof address !== 'object' || !address) return false;
      check = loopbackHostCheck(address.port, ['host.docker.internal']);
    }
    return check(host);
  };
}
