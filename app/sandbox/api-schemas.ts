// JSON schemas of the upstream provisioner contract (docs/provisioner.md), built with TypeBox so the
// same declaration gives Fastify's validation, the OpenAPI document and the TypeScript types.
import { type Static, Type } from '@sinclair/typebox';
import { SANDBOX_ID_MAX_LENGTH, SANDBOX_ID_PATTERN, THREAD_ID_PATTERN, USER_ID_MAX_LENGTH, USER_ID_PATTERN } from './names.js';

export const SandboxIdSchema = Type.String({
  minLength: 1,
  maxLength: SANDBOX_ID_MAX_LENGTH,
  pattern: SANDBOX_ID_PATTERN.source,
  description: `Lower-case letters, digits and "-"; at most ${SANDBOX_ID_MAX_LENGTH} characters so that sandbox-{id}-svc is a DNS label`,
});

export const CreateSandboxBody = Type.Object(
  {
    sandbox_id: SandboxIdSchema,
    // null counts as absent: upstream's client sends "thread_id": null when it has none.
    thread_id: Type.Optional(
      Type.Union([Type.String({ pattern: THREAD_ID_PATTERN.source }), Type.Null()], { description: 'Defaults to sandbox_id' }),
    ),
    // Not nullable, as upstream (user_id: str = "default"): null is a 422.
    user_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: USER_ID_MAX_LENGTH, pattern: USER_ID_PATTERN.source, description: 'Defaults to "default"' }),
    ),
    extra_mounts: Type.Optional(
      Type.Array(
        Type.Object(
          { host_path: Type.String(), container_path: Type.String(), read_only: Type.Optional(Type.Boolean()) },
          { additionalProperties: true },
        ),
        { description: 'Allowlisted container paths whose host folders lie under DEER_FLOW_HOST_BASE_DIR (upstream checks and messages)' },
      ),
    ),
    include_legacy_skills: Type.Optional(Type.Boolean({ description: 'Accepted and ignored, as upstream' })),
    provision_lark_cli_runtime: Type.Optional(Type.Boolean({ description: 'Lark Pattern A, when LARK_CLI_INIT_IMAGE is set' })),
    provision_lark_cli_broker: Type.Optional(Type.Boolean({ description: 'Lark Pattern B, when LARK_CLI_BROKER_IMAGE is set' })),
    resources: Type.Optional(
      Type.Object(
        {
          cpu: Type.Optional(Type.String({ description: 'e.g. "2" or "500m"' })),
          memory: Type.Optional(Type.String({ description: 'e.g. "2Gi"' })),
        },
        {
          additionalProperties: false,
          description:
            'Ours, not upstream: the container limits, at most SANDBOX_MAX_CPU / SANDBOX_MAX_MEMORY (refused when those are unset)',
        },
      ),
    ),
  },
  { additionalProperties: true, description: 'Unknown fields are ignored' },
);
export type CreateSandboxBody = Static<typeof CreateSandboxBody>;

export const SandboxStatusSchema = Type.Union(
  ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown', 'NotFound'].map((s) => Type.Literal(s)),
  { description: 'The Pod phase, or NotFound when the Pod is missing' },
);

export const SandboxResponseSchema = Type.Object({
  sandbox_id: Type.String(),
  sandbox_url: Type.String({ description: 'http://{NODE_HOST}:{nodePort}, or the cluster-internal Service URL for ClusterIP' }),
  status: SandboxStatusSchema,
});

export const SandboxListSchema = Type.Object({
  sandboxes: Type.Array(SandboxResponseSchema),
  count: Type.Integer(),
});

export const DeleteResponseSchema = Type.Object({ ok: Type.Literal(true), sandbox_id: Type.String() });

export const ErrorSchema = Type.Object({
  detail: Type.Union([Type.String(), Type.Array(Type.Object({ loc: Type.Array(Type.String()), msg: Type.String(), type: Type.String() }))]),
});

export const SandboxIdParams = Type.Object({ sandbox_id: Type.String() });
