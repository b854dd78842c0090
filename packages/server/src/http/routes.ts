import {
  type API_KEY_ROUTES,
  type CALL_INFRA_ROUTES,
  type COMMUNITY_ROUTES,
  isValidHandle,
  parse,
  ROUTES,
  type RouteSpec,
  type VOICE_ROUTES,
  VOLLY_VERSION,
  VollyError,
} from "@volly/protocol";
import type { FastifyInstance, onRequestHookHandler } from "fastify";
import type { TurnConfig } from "../config-calls.js";
import { requireScope } from "../services/api-keys/grants.js";
import { ROUTE_SCOPES } from "../services/api-keys/route-scopes.js";
import type { AuthContext } from "../services/context.js";
import type { Services } from "../services/services.js";
import { apiKeyHandlers } from "./api-key-routes.js";
import { authenticateRequest } from "./bearer.js";
import { callInfraHandlers } from "./call-routes.js";
import { communityHandlers } from "./community-routes.js";
import { voiceHandlers } from "./voice-routes.js";

type RouteName = keyof typeof ROUTES;
type AuthFor<K extends RouteName> = (typeof ROUTES)[K]["auth"] extends true ? AuthContext : undefined;

/** What a route handler receives: raw (unvalidated) params and body, and the device for auth routes. */
interface RouteInput<A> {
  params: unknown;
  body: unknown;
  auth: A;
  /**
   * On routes that do not need authentication: the caller's device when the request carries a
   * bearer token (@throws VOLLY_E_NOT_AUTHENTICATED when that token is invalid), else undefined.
   */
  viewer: () => Promise<AuthContext | undefined>;
}

type CoreRouteName = Exclude<
  RouteName,
  | keyof typeof COMMUNITY_ROUTES
  | keyof typeof API_KEY_ROUTES
  | keyof typeof CALL_INFRA_ROUTES
  | keyof typeof VOICE_ROUTES
>;
type RouteHandlers = { [K in CoreRouteName]: (input: RouteInput<AuthFor<K>>) => Promise<unknown> };

/**
 * The handler of every REST v1 route. Each validates its params and body with `parse` against the
 * route's schemas from ROUTES (→ VOLLY_E_BAD_REQUEST) before calling a service.
 */
function handlers(services: Services): RouteHandlers {
  const { accounts, auth, keyPackages, groups, delivery } = services;
  return {
    health: async () => ({ status: "ok", version: VOLLY_VERSION }),
    registerAccount: async ({ body }) => {
      const handle = (body as { handle?: unknown } | null | undefined)?.handle;
      if (typeof handle === "string" && !isValidHandle(handle)) {
        throw new VollyError("VOLLY_E_HANDLE_INVALID", undefined, { handle });
      }
      return accounts.register(parse(ROUTES.registerAccount.body, body));
    },
    importAccount: async ({ body }) => {
      const input = parse(ROUTES.importAccount.body, body);
      if (!services.accountMoves) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "This server does not federate (it has no public URL).");
      }
      return services.accountMoves.moveIn(input);
    },
    getAccount: async ({ params, viewer }) => {
      const { handle } = parse(ROUTES.getAccount.params, params);
      const caller = await viewer();
      const account = await accounts.getAccount(handle);
      if (caller?.accountId === account.accountId) return account;
      // Others see what they need to encrypt to and verify the account: device ids and keys.
      return {
        ...account,
        devices: account.devices.map(({ deviceId, signaturePublicKey }) => ({
          deviceId,
          signaturePublicKey,
        })),
      };
    },
    updateProfile: async ({ body, auth: device }) =>
      accounts.setDisplayName(device.accountId, parse(ROUTES.updateProfile.body, body).displayName),
    handleAvailability: async ({ params }) =>
      accounts.handleAvailability(parse(ROUTES.handleAvailability.params, params).handle),
    getDevice: async ({ params }) => accounts.getDevice(parse(ROUTES.getDevice.params, params).deviceId),
    challenge: async ({ body }) => auth.challenge(parse(ROUTES.challenge.body, body).deviceId),
    session: async ({ body }) => auth.createSession(parse(ROUTES.session.body, body)),
    uploadKeyPackages: async ({ body, auth: device }) =>
      keyPackages.upload(device.deviceId, parse(ROUTES.uploadKeyPackages.body, body)),
    countKeyPackages: async ({ auth: device }) => keyPackages.count(device.deviceId),
    claimKeyPackages: async ({ body, auth: device }) =>
      keyPackages.claim(device, parse(ROUTES.claimKeyPackages.body, body)),
    createGroup: async ({ body, auth: device }) =>
      groups.createGroup(device.deviceId, parse(ROUTES.createGroup.body, body)),
    getGroup: async ({ params, auth: device }) =>
      groups.getGroup(device.deviceId, parse(ROUTES.getGroup.params, params).groupId),
    commit: async ({ params, body, auth: device }) => {
      const { groupId } = parse(ROUTES.commit.params, params);
      return delivery.commit(device.deviceId, groupId, parse(ROUTES.commit.body, body));
    },
    sendMessage: async ({ params, body, auth: device }) => {
      const { groupId } = parse(ROUTES.sendMessage.params, params);
      return delivery.sendMessage(device.deviceId, groupId, parse(ROUTES.sendMessage.body, body), device);
    },
    sendEphemeral: async ({ params, body, auth: device }) => {
      const { groupId } = parse(ROUTES.sendEphemeral.params, params);
      await services.ephemeral.relay(device, groupId, parse(ROUTES.sendEphemeral.body, body));
      return {};
    },
    deleteMessage: async ({ params, auth: device }) => {
      const { groupId, messageId } = parse(ROUTES.deleteMessage.params, params);
      return delivery.deleteMessage(device, groupId, messageId);
    },
    leaveGroup: async ({ params, auth: device }) =>
      delivery.leave(device.deviceId, parse(ROUTES.leaveGroup.params, params).groupId),
    getGroupInfo: async ({ params, auth: device }) =>
      groups.getGroupInfo(device.deviceId, parse(ROUTES.getGroupInfo.params, params).groupId),
    grantAdmin: async ({ params, body, auth: device }) => {
      const { groupId } = parse(ROUTES.grantAdmin.params, params);
      return groups.grantAdmin(device.deviceId, groupId, parse(ROUTES.grantAdmin.body, body).accountId);
    },
    createDeviceLink: async ({ auth: device }) => services.deviceLinks.create(device),
    claimDeviceLink: async ({ params, body }) => {
      const { linkId } = parse(ROUTES.claimDeviceLink.params, params);
      return services.deviceLinks.claim(linkId, parse(ROUTES.claimDeviceLink.body, body));
    },
    getDeviceLink: async ({ params }) =>
      services.deviceLinks.status(parse(ROUTES.getDeviceLink.params, params).linkId),
    approveDeviceLink: async ({ params, body, auth: device }) => {
      const { linkId } = parse(ROUTES.approveDeviceLink.params, params);
      const { signature } = parse(ROUTES.approveDeviceLink.body, body);
      return services.deviceLinks.approve(device, linkId, signature);
    },
    declineDeviceLink: async ({ params, auth: device }) =>
      services.deviceLinks.decline(device, parse(ROUTES.declineDeviceLink.params, params).linkId),
    revokeDevice: async ({ params, auth: device }) =>
      services.deviceRevocation.revoke(device, parse(ROUTES.revokeDevice.params, params).deviceId),
    getRecoveryStatus: async ({ auth: device }) => services.recovery.status(device),
    setRecoveryKey: async ({ body, auth: device }) =>
      services.recovery.setKey(device, parse(ROUTES.setRecoveryKey.body, body)),
    putAccountBackup: async ({ body, auth: device }) =>
      services.recovery.putBackup(device, parse(ROUTES.putAccountBackup.body, body).backup),
    getAccountBackup: async ({ auth: device }) => services.recovery.getBackup(device),
    recoveryChallenge: async ({ body }) =>
      services.recovery.challenge(parse(ROUTES.recoveryChallenge.body, body).handle),
    recoverAccount: async ({ body }) => services.recovery.recover(parse(ROUTES.recoverAccount.body, body)),
    listRecoveryRejoins: async ({ auth: device }) => services.recovery.rejoins(device),
    getPresenceStatus: async ({ auth: device }) => services.presence.getStatus(device.accountId),
    setPresenceStatus: async ({ body, auth: device }) =>
      services.presence.setStatus(device, parse(ROUTES.setPresenceStatus.body, body)),
    createScheduled: async ({ body, auth: device }) =>
      services.scheduled.create(device, parse(ROUTES.createScheduled.body, body)),
    listScheduled: async ({ auth: device }) => ({ scheduled: await services.scheduled.list(device) }),
    replaceScheduled: async ({ params, body, auth: device }) => {
      const { messageId } = parse(ROUTES.replaceScheduled.params, params);
      return services.scheduled.replace(device, messageId, parse(ROUTES.replaceScheduled.body, body));
    },
    cancelScheduled: async ({ params, auth: device }) =>
      services.scheduled.cancel(device, parse(ROUTES.cancelScheduled.params, params).messageId),
    uploadLimits: async ({ auth: device }) => services.blobs.admission.limits(device),
  };
}

/**
 * Registers every route of ROUTES (method and path exactly as specified). Routes with `auth: true`
 * authenticate the bearer token first (→ 401 VOLLY_E_NOT_AUTHENTICATED), then check the scope a
 * session made with an API key needs (ROUTE_SCOPES → 403 VOLLY_E_API_KEY_SCOPE), then validate. Responses
 * are JSON with the route's status (200 unless it says otherwise); errors go through the app's error handler.
 *
 * @param options.rateLimit the hook from `registerRateLimit`, run on every route but `health`
 *   (authenticated routes keyed by account, the others by IP); without it nothing is limited
 * @param options.turn the STUN/TURN servers `GET /v1/calls/ice-servers` hands out (default none)
 * @param options.now the clock TURN credentials expire by (ms since the Unix epoch; default Date.now)
 */
export function registerRoutes(
  app: FastifyInstance,
  services: Services,
  options: { rateLimit?: onRequestHookHandler; turn?: TurnConfig; now?: () => number } = {},
): void {
  const table = {
    ...handlers(services),
    ...communityHandlers(services),
    ...apiKeyHandlers(services),
    ...callInfraHandlers(options.turn, options.now ?? Date.now),
    ...voiceHandlers(services.voice),
  };
  for (const name of Object.keys(ROUTES) as RouteName[]) {
    const spec: RouteSpec = ROUTES[name];
    const handle = table[name] as (input: RouteInput<AuthContext | undefined>) => Promise<unknown>;
    const limited = options.rateLimit !== undefined && name !== "health";
    app.route({
      method: spec.method,
      url: spec.path,
      ...(spec.maxBodyBytes !== undefined ? { bodyLimit: spec.maxBodyBytes } : {}),
      ...(limited
        ? { config: { vollyRateLimit: spec.auth ? "account" : "ip" }, onRequest: options.rateLimit }
        : {}),
      handler: async (request, reply) => {
        const auth = spec.auth ? await authenticateRequest(request, services.auth) : undefined;
        const scope = ROUTE_SCOPES[name];
        if (auth && scope !== "any") requireScope(auth.apiKey, scope);
        const viewer = async () =>
          request.headers.authorization === undefined
            ? undefined
            : await authenticateRequest(request, services.auth);
        const result = await handle({ params: request.params, body: request.body, auth, viewer });
        return reply
          .code(spec.status ?? 200)
          .type("application/json")
          .send(JSON.stringify(result));
      },
    });
  }
}
