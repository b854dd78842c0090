import { API_KEY_ROUTES, parse } from "@volly/protocol";
import type { AuthContext } from "../services/context.js";
import type { Services } from "../services/services.js";

/** What an API key route handler receives: raw params and body, and the authenticated device. */
export interface ApiKeyRouteInput {
  params: unknown;
  body: unknown;
  auth: AuthContext;
}

type ApiKeyHandlers = { [K in keyof typeof API_KEY_ROUTES]: (input: ApiKeyRouteInput) => Promise<unknown> };

const R = API_KEY_ROUTES;

/**
 * The handlers of the API key routes (API_KEY_ROUTES of @volly/protocol): each validates its params
 * and body against the route's schemas (→ VOLLY_E_BAD_REQUEST), then calls the API key service with
 * the caller (whose session, when made with a key, needs the `manage` scope).
 */
export function apiKeyHandlers(services: Services): ApiKeyHandlers {
  const { apiKeys } = services;
  return {
    createApiKey: async ({ body, auth }) => apiKeys.create(auth, parse(R.createApiKey.body, body)),
    listApiKeys: async ({ auth }) => apiKeys.list(auth),
    revokeApiKey: async ({ params, auth }) =>
      apiKeys.revoke(auth, parse(R.revokeApiKey.params, params).keyId),
    rotateApiKey: async ({ params, body, auth }) =>
      apiKeys.rotate(
        auth,
        parse(R.rotateApiKey.params, params).keyId,
        parse(R.rotateApiKey.body, body).overlapMs,
      ),
  };
}
