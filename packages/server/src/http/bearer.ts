import { VollyError } from "@volly/protocol";
import type { FastifyRequest } from "fastify";
import type { AuthService } from "../services/auth.js";
import type { AuthContext } from "../services/context.js";

const BEARER = /^Bearer ([A-Za-z0-9_-]{43})$/;

/**
 * Authenticates a request by its `Authorization: Bearer <token>` header (token from
 * `POST /v1/auth/session`).
 *
 * @throws VOLLY_E_NOT_AUTHENTICATED when the header is missing or malformed, or the token is
 *   unknown or expired
 */
export async function authenticateRequest(request: FastifyRequest, auth: AuthService): Promise<AuthContext> {
  const header = request.headers.authorization;
  const match = typeof header === "string" ? BEARER.exec(header) : null;
  if (!match?.[1]) throw new VollyError("VOLLY_E_NOT_AUTHENTICATED");
  return auth.authenticate(match[1]);
}
