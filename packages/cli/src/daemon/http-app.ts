import type { TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { type Bot, MemberEvent } from "@volly/bot";
import { jsonDepthExceeds, LIMITS, parse, VollyError } from "@volly/protocol";
import { toVollyError } from "@volly/server/http-errors";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import type { EventHub } from "./event-hub.js";
import { authorizationMatches } from "./local-key.js";
import { buildOpenApiDocument, type StreamRouteDoc } from "./openapi.js";
import { fastifyPath, type JsonRoute, type RouteInput, type RouteSchemas } from "./route-table.js";
import { conversationRoutes } from "./routes/conversations.js";
import { groupRoutes } from "./routes/groups.js";
import { messageRoutes } from "./routes/messages.js";
import { metaRoutes } from "./routes/meta.js";
import { SseStreams } from "./sse.js";

/** Largest request body the daemon reads, bytes (a 64,000-character text in UTF-8 fits). */
export const DAEMON_BODY_LIMIT_BYTES = 1024 * 1024;

/** What the daemon's HTTP app serves. */
export interface DaemonAppOptions {
  bot: Bot;
  hub: EventHub;
  /** The local API key every request but /healthz and /v1/openapi.json must send as `Bearer KEY`. */
  key: string;
  /** Called with unexpected errors (VOLLY_E_INTERNAL); never given request bodies. */
  onInternalError?(error: unknown): void;
}

const EVENTS_STREAM: StreamRouteDoc = {
  path: "/v1/events",
  operationId: "streamEvents",
  summary: "Every event of this member as Server-Sent Events",
  description:
    "text/event-stream: each event has `id:` = the message id and `data:` = one JSON MemberEvent. " +
    "Reconnect with the Last-Event-ID header to get the events missed since (the last 1000 are kept).",
  tags: ["events"],
  eventSchema: MemberEvent,
  headers: [{ name: "Last-Event-ID", description: "resume after this event id" }],
};

/** Validates a request's parts with the route's schemas (query strings converted to numbers first). */
function validate(schemas: RouteSchemas, request: { params: unknown; query: unknown; body: unknown }) {
  const convert = (schema: TSchema, value: unknown) => Value.Convert(schema, value);
  return {
    params: schemas.params ? parse(schemas.params, request.params) : undefined,
    query: schemas.querystring
      ? parse(schemas.querystring, convert(schemas.querystring, request.query ?? {}))
      : undefined,
    body: schemas.body ? parse(schemas.body, request.body) : undefined,
  } as RouteInput<RouteSchemas>;
}

function sendError(reply: FastifyReply, error: VollyError) {
  return reply.code(error.httpStatus).type("application/json").send(error.toBody());
}

/**
 * Builds the daemon's Fastify app: the JSON routes (validated with their TypeBox schemas, errors
 * typed `{code, message}`), `GET /v1/events` (SSE), `GET /v1/openapi.json` (OpenAPI 3.1 generated
 * from the same route table) and `GET /healthz`. Every other request needs `Authorization: Bearer
 * KEY` (401 VOLLY_E_NOT_AUTHENTICATED otherwise, compared in constant time). Not listening yet.
 */
export function buildDaemonApp(options: DaemonAppOptions): { app: FastifyInstance; streams: SseStreams } {
  const { bot, hub, key } = options;
  const app = Fastify({ logger: false, bodyLimit: DAEMON_BODY_LIMIT_BYTES, forceCloseConnections: true });
  const streams = new SseStreams();

  let openapi: unknown;
  const routes: JsonRoute[] = [
    ...conversationRoutes(bot),
    ...messageRoutes(bot),
    ...groupRoutes(bot),
    ...metaRoutes(bot, () => openapi),
  ];
  openapi = buildOpenApiDocument(routes, [EVENTS_STREAM]);

  app.setErrorHandler((error, _request, reply) => {
    // The server's mapping: Fastify's body errors → 400/413 without echoing the body; else 500.
    const typed = toVollyError(error);
    if (typed.code === "VOLLY_E_INTERNAL") options.onInternalError?.(error);
    return sendError(reply, typed);
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, new VollyError("VOLLY_E_NOT_FOUND")));
  app.addHook("onRequest", async (request, reply) => {
    if (request.routeOptions.config.public === true) return;
    if (!authorizationMatches(request.headers.authorization, key)) {
      return sendError(
        reply,
        new VollyError(
          "VOLLY_E_NOT_AUTHENTICATED",
          "Send the daemon's local key: Authorization: Bearer KEY.",
        ),
      );
    }
  });
  app.removeContentTypeParser("application/json");
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (jsonDepthExceeds(text, LIMITS.maxJsonDepth)) {
      done(
        new VollyError("VOLLY_E_BAD_REQUEST", `JSON may nest ${LIMITS.maxJsonDepth} levels deep.`),
        undefined,
      );
      return;
    }
    parseJson(request, text, done);
  });

  for (const route of routes) {
    app.route({
      method: route.method,
      url: fastifyPath(route.path),
      config: { public: route.auth === false },
      handler: async (request, reply) => {
        const result = await route.handler(validate(route.schemas, request));
        return reply.code(result.status).type("application/json").send(JSON.stringify(result.body));
      },
    });
  }
  app.get(EVENTS_STREAM.path, (request, reply) => streams.serve(hub, request, reply));
  app.addHook("preClose", async () => streams.closeAll());
  return { app, streams };
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** True for the routes that need no local API key (/healthz, /v1/openapi.json). */
    public?: boolean;
  }
}
