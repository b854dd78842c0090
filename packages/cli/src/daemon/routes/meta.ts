import type { Bot } from "@volly/bot";
import { defineRoute, type JsonRoute } from "../route-table.js";
import { DirectStatus, Health, OpenApiDocument } from "../schemas.js";

/**
 * `GET /healthz` and `GET /v1/openapi.json` (the two routes that need no key), and `GET /v1/direct`
 * (the member's direct paths).
 */
export function metaRoutes(bot: Bot, document: () => unknown): JsonRoute[] {
  return [
    defineRoute({
      method: "GET",
      path: "/healthz",
      operationId: "health",
      summary: "Whether the daemon is up, and as which account",
      tags: ["meta"],
      auth: false,
      schemas: { responses: { 200: Health } },
      handler: async () => ({
        status: 200,
        body: { status: "ok", accountId: bot.accountId, handle: bot.handle },
      }),
    }),
    defineRoute({
      method: "GET",
      path: "/v1/openapi.json",
      operationId: "openapi",
      summary: "This API's OpenAPI 3.1 description",
      tags: ["meta"],
      auth: false,
      schemas: { responses: { 200: OpenApiDocument } },
      handler: async () => ({ status: 200, body: document() }),
    }),
    defineRoute({
      method: "GET",
      path: "/v1/direct",
      operationId: "directPaths",
      summary: "The member's direct paths to other member devices (with --direct), and what went over them",
      tags: ["meta"],
      schemas: { responses: { 200: DirectStatus } },
      handler: async () => ({
        status: 200,
        body: {
          enabled: bot.client.direct.enabled,
          peers: bot.client.direct.peers(),
          counts: bot.client.direct.counts(),
        },
      }),
    }),
  ];
}
