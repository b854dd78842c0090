import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import Fastify, { LogController } from "fastify";
import type { Metrics } from "../metrics.js";
import {
  clientErrorHandler,
  frameworkErrorHandler,
  installErrorHandler,
  installNotFoundHandler,
} from "./error-handler.js";
import { installSecurityHeaders } from "./security-headers.js";

/** Path of the Prometheus metrics on the metrics listener. */
export const METRICS_PATH = "/metrics";

/**
 * Builds the metrics listener's app (not listening): `GET /metrics` answers the node's Prometheus
 * metrics (text format 0.0.4, `text/plain; version=0.0.4`, `cache-control: no-store`) — counts and
 * timings only, no ids, no content. It listens on an address of its own (VOLLY_METRICS_HOST and
 * VOLLY_METRICS_PORT, by default loopback and not at all), never on the public port, so the metrics
 * are exactly as reachable as the operator makes that address. Every other request is a typed 404
 * VOLLY_E_NOT_FOUND; every answer carries the security headers.
 *
 * @param options.metrics the node's metrics (the ones the app and the store count into)
 * @param options.logger where errors are logged (requests are not)
 */
export async function buildMetricsApp(options: {
  metrics: Metrics;
  logger: FastifyBaseLogger;
}): Promise<FastifyInstance> {
  const { metrics } = options;
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  });
  installErrorHandler(app);
  installSecurityHeaders(app);
  app.get(METRICS_PATH, async (_request, reply) => {
    const text = await metrics.render();
    return reply.code(200).type(metrics.contentType).header("cache-control", "no-store").send(text);
  });
  installNotFoundHandler(app);
  return app;
}
