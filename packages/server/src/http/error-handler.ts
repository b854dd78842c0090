import { VollyError } from "@volly/protocol";
import type { FastifyError, FastifyInstance } from "fastify";
import { describeError } from "../describe-error.js";
import { loggableUrl } from "./request-log.js";
import type { SpaFallback } from "./web-app.js";

/**
 * Maps anything thrown while serving a request to a typed Volly error:
 * a VollyError keeps its code; Fastify's body errors become VOLLY_E_PAYLOAD_TOO_LARGE (413: body over
 * LIMITS.maxRequestBodyBytes) or VOLLY_E_BAD_REQUEST (malformed JSON, unsupported content type, …);
 * 403/404 errors (static files: directories, forbidden paths) become VOLLY_E_NOT_FOUND; everything
 * else is VOLLY_E_INTERNAL.
 */
export function toVollyError(error: unknown): VollyError {
  if (error instanceof VollyError) return error;
  const fastifyError = error as Partial<FastifyError> | undefined;
  const status = fastifyError?.statusCode;
  if (status === 413 || fastifyError?.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return new VollyError("VOLLY_E_PAYLOAD_TOO_LARGE");
  }
  if (status === 403 || status === 404) {
    // Static files (@fastify/send): a directory, a forbidden or non-canonical path — not found.
    return new VollyError("VOLLY_E_NOT_FOUND");
  }
  if (typeof status === "number" && status >= 400 && status < 500) {
    // Never echo the parser's message: it can quote the body.
    const message =
      error instanceof SyntaxError || fastifyError?.code === "FST_ERR_CTP_INVALID_JSON_BODY"
        ? "The request body is not valid JSON."
        : fastifyError?.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE"
          ? "The request body must be application/json."
          : fastifyError?.code === "FST_ERR_CTP_EMPTY_JSON_BODY"
            ? "The request body is empty."
            : undefined;
    return new VollyError(
      "VOLLY_E_BAD_REQUEST",
      message,
      fastifyError?.code ? { cause: fastifyError.code } : undefined,
    );
  }
  return new VollyError("VOLLY_E_INTERNAL");
}

/**
 * Installs the error handler: a typed error body with the registry's HTTP status; internal errors
 * are logged with name, message and stack only — never the request body. Install it before any
 * route so every route uses it.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const volly = toVollyError(error);
    if (volly.code === "VOLLY_E_INTERNAL") {
      request.log.error(
        { err: describeError(error), method: request.method, url: loggableUrl(request) },
        "internal error",
      );
    }
    return reply.code(volly.httpStatus).type("application/json").send(volly.toBody());
  });
}

/**
 * Installs the not-found handler: `spaFallback` first (the web app answers its own paths with
 * index.html), else 404 VOLLY_E_NOT_FOUND for any unknown method + path.
 *
 * @param spaFallback from `registerWebApp`; without it every unknown route is a JSON 404
 */
export function installNotFoundHandler(app: FastifyInstance, spaFallback?: SpaFallback): void {
  app.setNotFoundHandler((request, reply) => {
    const handled = spaFallback?.(request, reply);
    if (handled) return handled;
    const error = new VollyError("VOLLY_E_NOT_FOUND");
    return reply.code(error.httpStatus).type("application/json").send(error.toBody());
  });
}
