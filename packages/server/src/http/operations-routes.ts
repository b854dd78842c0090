import type { FastifyInstance } from "fastify";
import type { Bus } from "../bus/bus.js";
import { describeError } from "../describe-error.js";
import type { Store } from "../store/types.js";

/** Path of the readiness check (load balancers). */
export const READY_PATH = "/readyz";

/**
 * Registers the operator endpoint that is not part of the REST v1 API (the metrics have a listener
 * of their own: `http/metrics-app.ts`):
 *
 * - `GET /readyz`: 200 `{status:"ok", store:"ok", bus:"ok"|"down"}` when the database answers, else
 *   503 `{status:"unavailable", store:"down", bus}`. The bus being down does not fail readiness: every
 *   node shares one Redis, so taking nodes out of the load balancer would only turn slower delivery
 *   into an outage (the store is the source of truth; nodes resync when Redis is back).
 *
 * (`GET /healthz` — liveness, no dependencies — is the protocol's `health` route.)
 */
export function registerOperationsRoutes(app: FastifyInstance, deps: { store: Store; bus: Bus }): void {
  app.get(READY_PATH, async (request, reply) => {
    const bus = deps.bus.connected() ? "ok" : "down";
    try {
      await deps.store.ping();
    } catch (error) {
      request.log.warn({ err: describeError(error) }, "readiness: the store does not answer");
      return reply
        .code(503)
        .header("cache-control", "no-store")
        .send({ status: "unavailable", store: "down", bus });
    }
    return reply.code(200).header("cache-control", "no-store").send({ status: "ok", store: "ok", bus });
  });
}
