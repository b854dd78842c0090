import type { FastifyInstance, FastifyRequest } from "fastify";

/** What the request log records for a request no route matched. */
export const UNMATCHED_ROUTE = "(no route)";

/**
 * The URL of a request as it may appear in logs: the pattern of the route that matched
 * (`/v1/accounts/:handle`, `/i/:token`, `/*` for static files), never the concrete path or query —
 * handles, ids and invite tokens in URLs say who looked up whom. Requests no route matched (404s,
 * the web app's fallback pages) are logged as {@link UNMATCHED_ROUTE}.
 */
export function loggableUrl(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}

/**
 * Logs one info line per completed request: method, url (the route pattern, see
 * {@link loggableUrl}), status and time (ms). Never bodies, headers or concrete paths.
 */
export function installRequestLog(app: FastifyInstance): void {
  app.addHook("onResponse", async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: loggableUrl(request),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      "request",
    );
  });
}
