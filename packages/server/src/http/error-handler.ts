import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { VollyError } from "@volly/protocol";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { describeError } from "../describe-error.js";
import { loggableUrl } from "./request-log.js";
import { securityHeaders } from "./security-headers.js";
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
  if (fastifyError?.code === "FST_ERR_BAD_URL") {
    // Never echo the URL: it is the client's input.
    return new VollyError("VOLLY_E_BAD_REQUEST", "The URL is not validly percent-encoded.");
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
    // Fastify's own codes (FST_ERR_…) are not part of the API: the message says what was wrong.
    return new VollyError("VOLLY_E_BAD_REQUEST", message);
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

/**
 * Fastify's `frameworkErrors` option: errors the router raises before any route or hook runs (a URL
 * whose percent-encoding does not decode, FST_ERR_BAD_URL) answered like every other error — a
 * typed `{code, message}` body with the security headers — instead of Fastify's own
 * `{error, code: "FST_ERR_…", message, statusCode}`.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const volly = toVollyError(error);
  void reply
    .code(volly.httpStatus)
    .headers(securityHeaders(request.protocol === "https"))
    .type("application/json")
    .send(volly.toBody());
}

/**
 * Fastify's `clientErrorHandler` option: what Node's HTTP server refuses before a request exists
 * (request line or headers over Node's 16 KiB limit → 431 VOLLY_E_HEADERS_TOO_LARGE; headers not
 * received within Node's request timeout → 408 VOLLY_E_REQUEST_TIMEOUT; anything malformed → 400
 * VOLLY_E_BAD_REQUEST), written to the socket as a typed body with the security headers, then the
 * connection is closed. A reset or unwritable socket is just destroyed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const volly =
    error.code === "HPE_HEADER_OVERFLOW"
      ? new VollyError("VOLLY_E_HEADERS_TOO_LARGE")
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? new VollyError("VOLLY_E_REQUEST_TIMEOUT")
        : new VollyError("VOLLY_E_BAD_REQUEST", "The request is not valid HTTP/1.1.");
  const body = JSON.stringify(volly.toBody());
  const headers = {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    connection: "close",
    ...securityHeaders("encrypted" in socket && socket.encrypted === true),
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.write(`HTTP/1.1 ${volly.httpStatus} ${STATUS_CODES[volly.httpStatus]}\r\n${head}\r\n${body}`);
  socket.destroy();
}
