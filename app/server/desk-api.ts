// The desk API: the UI's own HTTP API on 127.0.0.1 (random port), for the Electron window and
// a browser alike. Every /desk/* request needs the per-launch token (header x-desk-token);
// every request must name this server in its Host header (a page on another site that
// resolves its name to 127.0.0.1 — DNS rebinding — is refused). Routes come from the contract
// table; live updates and logs are server-sent events. It also serves the built renderer.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fastifyStatic from '@fastify/static';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { DeskCore } from '../core/desk-core.js';
import {
  type DeskEvent,
  type DeskService,
  deskFiles,
  deskOperations,
  deskStreams,
  type InputOf,
  LogsQuery,
  logsOptionsOf,
  type OperationName,
  SandboxPath,
  type TerminalEvent,
  TOKEN_HEADER,
  UPLOAD_LIMIT_BYTES,
} from '../desk/contract.js';
import { AppError } from '../errors.js';
import { SandboxIdSchema } from '../sandbox/api-schemas.js';
import { keyMatches } from './auth.js';
import { fastifyErrorToHttp } from './http-errors.js';
import { guardRoutes, loopbackHostCheck, publicScope } from './route-access.js';

export const DESK_BODY_LIMIT = 256 * 1024;

/** Served with the renderer: no inline scripts, no other origins, no framing. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface DeskServerOptions {
  core: DeskCore;
  /** The per-launch token; a random one when omitted. */
  token?: string;
  /** Built renderer to serve at / (dist/renderer); none when absent. */
  rendererDir?: string;
  log?: (line: string) => void;
}

export interface RunningDeskServer {
  app: FastifyInstance;
  url: string;
  token: string;
  /** The address a browser opens: url with the token (never log it elsewhere). */
  uiUrl: string;
  close: () => Promise<void>;
}

function sseHeaders(reply: FastifyReply): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  return res;
}

const sse = (res: ServerResponse, data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);

export async function startDeskServer(opts: DeskServerOptions): Promise<RunningDeskServer> {
  const log = opts.log ?? (() => {});
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const app = Fastify({
    logger: false,
    bodyLimit: DESK_BODY_LIMIT,
    // Types are not coerced (`{"running": 0}` is refused, not read as false), as in the
    // provisioner API; the logs query string is text and is read by logsOptionsOf.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Known once listening (port 0 until then: nothing is allowed before).
  let hostAllowed: (host: string) => boolean = () => false;

  guardRoutes(app, {
    hostAllowed: (host) => hostAllowed(host),
    authorized: (req) => keyMatches(req.headers[TOKEN_HEADER] as string | undefined, token),
    onForeignHost: (reply) =>
      reply.code(421).send({ detail: 'This server only answers requests addressed to it on 127.0.0.1 (Host header)' }),
    onUnauthorized: (reply) =>
      reply.code(401).send({ detail: 'Missing or wrong desk token: open the UI from the address the app printed' }),
  });
  app.addHook('onRequest', async (_req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });
  app.setErrorHandler((error: FastifyError, req, reply) => {
    const http = fastifyErrorToHttp(error, req.body, DESK_BODY_LIMIT);
    if (http.status === 500) log(`error on ${req.method} ${req.url.split('?')[0]}: ${error.stack ?? error.message}`);
    return reply.code(http.status).send({ detail: http.detail });
  });

  const service: DeskService = opts.core;
  for (const name of Object.keys(deskOperations) as OperationName[]) {
    const op = deskOperations[name];
    app.route({
      method: op.method,
      url: op.path,
      schema: {
        params: op.params,
        ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { body: op.body }),
      },
      handler: async (req, reply) => {
        // The caller going away before the answer (Cancel in the UI) aborts the work.
        const abort = new AbortController();
        reply.raw.on('close', () => {
          if (!reply.raw.writableFinished) abort.abort();
        });
        const input = { params: req.params, body: req.body ?? {}, signal: abort.signal } as InputOf<typeof name>;
        return (service[name] as (i: typeof input) => unknown).call(service, input);
      },
    });
  }

  app.get(deskStreams.events, (req, reply) => {
    const res = sseHeaders(reply);
    const onEvent = (e: DeskEvent) => sse(res, e);
    opts.core.events.on('event', onEvent);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(heartbeat);
      opts.core.events.off('event', onEvent);
    });
  });

  app.get<{ Params: { id: string }; Querystring: Static<typeof LogsQuery> }>(
    deskStreams.logs,
    { schema: { params: { type: 'object', properties: { id: SandboxIdSchema }, required: ['id'] }, querystring: LogsQuery } },
    (req, reply) => {
      const res = sseHeaders(reply);
      const abort = new AbortController();
      req.raw.on('close', () => abort.abort());
      void opts.core
        .streamLogs(req.params.id, logsOptionsOf(req.query), (e) => sse(res, e), abort.signal)
        .catch((e: Error) => sse(res, { type: 'error', message: e.message }))
        .finally(() => res.end());
    },
  );

  const idParams = { type: 'object', properties: { id: SandboxIdSchema }, required: ['id'] } as const;
  app.get<{ Params: { tid: string } }>(
    deskStreams.terminal,
    { schema: { params: { type: 'object', properties: { tid: { type: 'string', format: 'uuid' } }, required: ['tid'] } } },
    (req, reply) => {
      // Attached before the stream starts, so an unknown terminal is a plain 404, not an event.
      const abort = new AbortController();
      let res: ServerResponse | undefined;
      const early: TerminalEvent[] = [];
      const attached = opts.core.attachTerminal(req.params.tid, (e) => (res ? sse(res, e) : early.push(e)), abort.signal);
      res = sseHeaders(reply);
      for (const e of early) sse(res, e);
      req.raw.on('close', () => abort.abort());
      const heartbeat = setInterval(() => res?.write(': keep-alive\n\n'), 15_000);
      void attached.finally(() => {
        clearInterval(heartbeat);
        res?.end();
      });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { path: string; via?: 'host' | 'cluster' } }>(
    deskFiles.download,
    {
      schema: {
        params: idParams,
        querystring: {
          type: 'object',
          properties: { path: SandboxPath, via: { type: 'string', enum: ['host', 'cluster'] } },
          required: ['path'],
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const file = await opts.core.downloadFile(req.params.id, req.query.path, req.query.via);
      reply.header('content-type', file.contentType);
      reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`);
      if (file.size !== undefined) reply.header('content-length', String(file.size));
      return reply.send(file.stream);
    },
  );

  await app.register(async (scope) => {
    // Uploads are raw bytes, counted as they arrive (refused past the limit, the partial file removed).
    scope.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
    scope.post<{ Params: { id: string }; Querystring: { name: string } }>(
      deskFiles.upload,
      {
        schema: {
          params: idParams,
          querystring: {
            type: 'object',
            properties: { name: { type: 'string', maxLength: 255 } },
            required: ['name'],
            additionalProperties: false,
          },
        },
      },
      async (req) => {
        const declared = Number(req.headers['content-length'] ?? 0);
        if (declared > UPLOAD_LIMIT_BYTES)
          throw new AppError('invalid', `the file is larger than ${UPLOAD_LIMIT_BYTES} bytes: upload a smaller one`);
        let seen = 0;
        const counted = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            seen += chunk.length;
            cb(
              seen > UPLOAD_LIMIT_BYTES
                ? new AppError('invalid', `the file is larger than ${UPLOAD_LIMIT_BYTES} bytes: upload a smaller one`)
                : null,
              chunk,
            );
          },
        });
        const body = req.body as NodeJS.ReadableStream;
        void pipeline(body, counted).catch(() => undefined);
        return { ok: true, path: await opts.core.uploadFile(req.params.id, req.query.name, counted) };
      },
    );
  });

  if (opts.rendererDir && existsSync(join(opts.rendererDir, 'index.html'))) {
    // The page itself is public (it holds no data; it asks for the token to do anything).
    const root = opts.rendererDir;
    await app.register(async (scope) => {
      publicScope(scope);
      await scope.register(fastifyStatic, {
        root,
        setHeaders: (res) => {
          res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
          res.setHeader('x-frame-options', 'DENY');
        },
      });
    });
    // Client-side routes (#/…) need nothing here; any other unknown path is a 404.
  }
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ detail: 'Not Found' }));

  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  hostAllowed = loopbackHostCheck(port);
  const url = `http://127.0.0.1:${port}`;
  return { app, url, token, uiUrl: `${url}/?token=${token}`, close: () => app.close() };
}
