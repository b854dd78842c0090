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
  const parseJson = jsonTextParser(app);
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseJson(typeof body === "string" ? body : body.toString("utf8")));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/**
 * The app's JSON parsing of a body's text, for routes that must see the raw bytes first (signed
 * server-to-server requests): nesting deeper than LIMITS.maxJsonDepth refused before parsing (400
 * VOLLY_E_BAD_REQUEST, details `{maxDepth}`), then Fastify's own parser (prototype poisoning refused).
 *
 * @returns a function from the body's text to its value; it throws the parse error (a 400)
 */
export function jsonTextParser(app: FastifyInstance): (text: string) => unknown {
  const parseJson = app.getDefaultJsonParser("error", "error");
  return (text) => {
    if (jsonDepthExceeds(text, LIMITS.maxJsonDepth)) {
      throw new VollyError(
        "VOLLY_E_BAD_REQUEST",
        `JSON may nest arrays and objects ${LIMITS.maxJsonDepth} levels deep.`,
        {
          maxDepth: LIMITS.maxJsonDepth,
        },
      );
    }
    let result: { error: Error | null; value: unknown } = { error: null, value: undefined };
    // Fastify's default parser calls back synchronously.
    parseJson(undefined as never, text, (error: Error | null, value?: unknown) => {
      result = { error, value };
    });
    if (result.error) throw result.error;
    return result.value;
  };
}
