import { VollyError } from "@volly/protocol";
import type { FastifyRequest } from "fastify";
import type { AuthService } from "../services/auth.js";
import type { AuthContext } from "../services/context.js";

const BEARER = /^Bearer ([A-Za-z0-9_-]{43})$/;

/** Each request's authentication, so the rate limiter and the handler share one lookup. */
const authenticated = new WeakMap<FastifyRequest, Promise<AuthContext>>();

/**
 * Authenticates a request by its `Authorization: Bearer <token>` header (token from
 * `POST /v1/auth/session`). The result (or failure) is remembered for the request: calling it again
 * — the rate limiter keys by account, then the handler needs the device — does not look the token
 * up twice.
 *
 * @throws VOLLY_E_NOT_AUTHENTICATED when the header is missing or malformed, or the token is
 *   unknown or expired; VOLLY_E_DEVICE_REVOKED when the token's device was revoked
 */
export function authenticateRequest(request: FastifyRequest, auth: AuthService): Promise<AuthContext> {
  let result = authenticated.get(request);
  if (!result) {
    const header = request.headers.authorization;
    const match = typeof header === "string" ? BEARER.exec(header) : null;
    result = match?.[1]
      ? auth.authenticate(match[1])
      : Promise.reject(new VollyError("VOLLY_E_NOT_AUTHENTICATED"));
    authenticated.set(request, result);
  }
  return result;
}
