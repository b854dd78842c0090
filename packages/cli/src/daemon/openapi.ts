import type { TSchema } from "@sinclair/typebox";
import { VOLLY_VERSION } from "@volly/protocol";
import type { JsonRoute } from "./route-table.js";
import { ErrorBody } from "./schemas.js";

/** A route that answers with a Server-Sent Events stream (`text/event-stream`) of JSON events. */
export interface StreamRouteDoc {
  path: string;
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  /** The schema of each event's `data:` line. */
  eventSchema: TSchema;
  /** Header parameters, e.g. Last-Event-ID. */
  headers?: { name: string; description: string }[];
}

type Json = Record<string, unknown>;

/**
 * Turns TypeBox schemas into OpenAPI 3.1 schema objects: every (sub)schema carrying a `$id` is put
 * once in `components.schemas` under that id and referenced as `#/components/schemas/ID` (OpenAPI
 * 3.1 §4.8.24: Schema Objects are JSON Schema 2020-12, so TypeBox's output is used as it is).
 */
class ComponentRegistry {
  readonly schemas: Record<string, Json> = {};

  /** The OpenAPI form of `schema`: a `$ref` when it has an `$id`, else the schema with refs inside. */
  ref(schema: TSchema): Json {
    return this.walk(JSON.parse(JSON.stringify(schema)) as unknown) as Json;
  }

  private walk(node: unknown): unknown {
    if (Array.isArray(node)) return node.map((n) => this.walk(n));
    if (node === null || typeof node !== "object") return node;
    const out: Json = {};
    for (const [key, value] of Object.entries(node as Json)) {
      // `properties` and `patternProperties` map names to schemas; a property named "$id" is not one.
      out[key] = this.walk(value);
    }
    const id = out.$id;
    if (typeof id !== "string") return out;
    delete out.$id;
    this.schemas[id] ??= out;
    return { $ref: `#/components/schemas/${id}` };
  }
}

const ERROR_RESPONSE = (registry: ComponentRegistry, description: string) => ({
  description,
  content: { "application/json": { schema: registry.ref(ErrorBody) } },
});

/** Path and query parameters of an object schema, as OpenAPI Parameter Objects (§4.8.12). */
function parameters(
  registry: ComponentRegistry,
  where: "path" | "query",
  schema: TSchema | undefined,
): Json[] {
  if (!schema) return [];
  const object = registry.ref(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (object.required ?? []).includes(name),
    schema: property,
    ...(typeof property.description === "string" ? { description: property.description } : {}),
  }));
}

function jsonOperation(registry: ComponentRegistry, route: JsonRoute): Json {
  const { schemas } = route;
  const responses: Json = {};
  for (const [status, schema] of Object.entries(schemas.responses)) {
    responses[status] = {
      description: schema.description ?? "success",
      content: { "application/json": { schema: registry.ref(schema) } },
    };
  }
  if (schemas.body || schemas.params || schemas.querystring) {
    responses["400"] = ERROR_RESPONSE(
      registry,
      "the request does not match its schema (VOLLY_E_BAD_REQUEST)",
    );
  }
  if (route.auth !== false) {
    responses["401"] = ERROR_RESPONSE(registry, "missing or wrong API key (VOLLY_E_NOT_AUTHENTICATED)");
  }
  responses.default = ERROR_RESPONSE(registry, "any other error, typed {code, message}");
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: route.tags,
    ...(route.auth === false ? { security: [] } : {}),
    parameters: [
      ...parameters(registry, "path", schemas.params),
      ...parameters(registry, "query", schemas.querystring),
    ],
    ...(schemas.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: registry.ref(schemas.body) } },
          },
        }
      : {}),
    responses,
  };
}

function streamOperation(registry: ComponentRegistry, route: StreamRouteDoc): Json {
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: route.description,
    tags: route.tags,
    parameters: (route.headers ?? []).map((h) => ({
      name: h.name,
      in: "header",
      required: false,
      description: h.description,
      schema: { type: "string" },
    })),
    responses: {
      "200": {
        description: "a Server-Sent Events stream; each event's data is one JSON event (x-event-schema)",
        content: {
          "text/event-stream": {
            schema: { type: "string" },
            "x-event-schema": registry.ref(route.eventSchema),
          },
        },
      },
      "401": ERROR_RESPONSE(registry, "missing or wrong API key (VOLLY_E_NOT_AUTHENTICATED)"),
      default: ERROR_RESPONSE(registry, "any other error, typed {code, message}"),
    },
  };
}

/**
 * Builds the OpenAPI 3.1.0 document of the daemon's API from its route table: the same TypeBox
 * schemas the routes validate with (daemon/http-app.ts), so the description cannot drift from the
 * code. `extraSchemas` are put in `components.schemas` even when no operation names them.
 *
 * @param routes the JSON routes; `streams` the SSE routes
 * @returns a plain JSON object (OpenAPI Specification 3.1.0)
 */
export function buildOpenApiDocument(
  routes: readonly JsonRoute[],
  streams: readonly StreamRouteDoc[],
  extraSchemas: readonly TSchema[] = [],
): Json {
  const registry = new ComponentRegistry();
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    (paths[route.path] as Json)[route.method.toLowerCase()] = jsonOperation(registry, route);
  }
  for (const stream of streams) {
    paths[stream.path] ??= {};
    (paths[stream.path] as Json).get = streamOperation(registry, stream);
  }
  for (const schema of extraSchemas) registry.ref(schema);
  return {
    openapi: "3.1.0",
    info: {
      title: "Volly daemon local API",
      version: VOLLY_VERSION,
      description:
        "The local HTTP API of `volly daemon`: one Volly member (a bot, agent, service or device) on " +
        "this machine. Plaintext never leaves it. Every route except /healthz and /v1/openapi.json " +
        "needs `Authorization: Bearer KEY` (the daemon's local key file).",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    tags: [
      { name: "conversations" },
      { name: "messages" },
      { name: "groups" },
      { name: "events" },
      { name: "meta" },
    ],
    paths,
    components: {
      schemas: registry.schemas,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "the daemon's local API key" },
      },
    },
  };
}
