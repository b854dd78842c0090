import type { CALL_INFRA_ROUTES } from "@volly/protocol";
import type { TurnConfig } from "../config-calls.js";
import { iceServersFor } from "../services/calls/ice-servers.js";
import type { AuthContext } from "../services/context.js";

/** What a call infrastructure route handler receives: the authenticated device. */
export interface CallInfraRouteInput {
  auth: AuthContext;
}

type CallInfraHandlers = {
  [K in keyof typeof CALL_INFRA_ROUTES]: (input: CallInfraRouteInput) => Promise<unknown>;
};

/**
 * The handlers of CALL_INFRA_ROUTES (@volly/protocol): `getIceServers` mints TURN credentials for
 * the caller's account from `turn` (none configured: no servers).
 *
 * @param now the clock (ms since the Unix epoch)
 */
export function callInfraHandlers(turn: TurnConfig | undefined, now: () => number): CallInfraHandlers {
  return {
    getIceServers: async ({ auth }) => iceServersFor(turn, auth.accountId, now()),
  };
}
