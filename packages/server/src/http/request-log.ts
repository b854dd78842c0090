import type { FastifyInstance, FastifyRequest } from "fastify";

/** The pattern invite URLs are logged as. */
const INVITE_ROUTE = "/i/:token";

/**
 * The URL of a request as it may appear in logs: invite URLs (`/i/…`, matched or not) become
 * `/i/:token` so invite tokens never reach the logs; everything else is logged as requested.
 */
export function loggableUrl(request: FastifyRequest): string {
  if (request.routeOptions.url === INVITE_ROUTE || request.url.startsWith("/i/")) return INVITE_ROUTE;
  return request.url;
}

/**
 * Logs one info line per completed request: method, url (see {@link loggableUrl}), status and time
 * (ms). Never bodies or headers.
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
