import { jsonDepthExceeds, LIMITS, VollyError } from "@volly/protocol";
import type { FastifyInstance } from "fastify";

/**
 * Replaces Fastify's `application/json` body parser with one that refuses bodies nested deeper
 * than LIMITS.maxJsonDepth (400 VOLLY_E_BAD_REQUEST, details `{maxDepth}`) before parsing them, so
 * no parser or schema validator recurses through hostile input (50,000 nested arrays used to
 * overflow the validator's stack: a 500). Everything else is Fastify's own parser: prototype
 * poisoning (`__proto__`, `constructor.prototype`) refused, empty bodies refused, the app's body
 * limit applied while reading.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (jsonDepthExceeds(text, LIMITS.maxJsonDepth)) {
      done(
        new VollyError(
          "VOLLY_E_BAD_REQUEST",
          `JSON may nest arrays and objects ${LIMITS.maxJsonDepth} levels deep.`,
          { maxDepth: LIMITS.maxJsonDepth },
        ),
        undefined,
      );
      return;
    }
    parseJson(request, text, done);
  });
}
