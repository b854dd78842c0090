import { VollyError } from "@volly/protocol";
import type { FastifyError } from "fastify";

/**
 * Maps anything thrown while serving a daemon request to a typed error (the same mapping as the
 * server's packages/server/src/http/error-handler.ts): a VollyError keeps its code; Fastify's body
 * errors become VOLLY_E_PAYLOAD_TOO_LARGE (413) or VOLLY_E_BAD_REQUEST (400, never echoing the
 * parser's message, which can quote the body); anything else is VOLLY_E_INTERNAL (500).
 */
export function toDaemonError(error: unknown): VollyError {
  if (error instanceof VollyError) return error;
  const fastifyError = error as Partial<FastifyError> | undefined;
  const status = fastifyError?.statusCode;
  if (status === 413 || fastifyError?.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return new VollyError("VOLLY_E_PAYLOAD_TOO_LARGE");
  }
  if (typeof status === "number" && status >= 400 && status < 500) {
    const message =
      error instanceof SyntaxError || fastifyError?.code === "FST_ERR_CTP_INVALID_JSON_BODY"
        ? "The request body is not valid JSON."
        : fastifyError?.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE"
          ? "The request body must be application/json."
          : fastifyError?.code === "FST_ERR_CTP_EMPTY_JSON_BODY"
            ? "The request body is empty."
            : undefined;
    return new VollyError("VOLLY_E_BAD_REQUEST", message);
  }
  return new VollyError("VOLLY_E_INTERNAL");
}
