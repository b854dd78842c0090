import { join } from "node:path";
import { toBase64Url, VollyError } from "@volly/protocol";
import type { FastifyInstance } from "fastify";
import type { FederationConfig } from "../config-federation.js";
import { localCommunityHandlers } from "../http/community-routes.js";
import type { Metrics } from "../metrics.js";
import type { ServiceContext } from "../services/context.js";
import { createMembershipPolicies } from "../services/groups/membership-policies.js";
import type { Services } from "../services/services.js";
import { createAccountMoves } from "./account-moves.js";
import { createBlobRelay, installBlobReads } from "./blob-relay.js";
import { installChannelGroupRelay } from "./channel-group-relay.js";
import { createCommunityCalls } from "./community-calls.js";
import { installCommunityRelay } from "./community-relay.js";
import { installCommunityUpdates } from "./community-updates.js";
import { createCursorReports } from "./cursor-reports.js";
import { createFederationClient } from "./federation-client.js";
import type { FederationContext } from "./federation-context.js";
import { createFederationMetrics } from "./federation-metrics.js";
import { createFederationOutbox } from "./federation-outbox.js";
import { createFederationPolicy, createServerRateLimiter } from "./federation-policy.js";
import { type FederationGate, registerFederationRoutes } from "./federation-routes.js";
import { installFollowerRelay } from "./follower-relay.js";
import { createGroupHubs } from "./group-hubs.js";
import { createHubNotices } from "./hub-notices.js";
import { createHubService } from "./hub-service.js";
import { createLogMirror } from "./log-mirror.js";
import { createMirrorRemovals } from "./mirror-removals.js";
import { createPresenceBridge } from "./presence-bridge.js";
import { createRemoteDirectory } from "./remote-directory.js";
import { createServerDirectory } from "./server-directory.js";
import { createSignalRelay } from "./signal-relay.js";
import { createNonceCache } from "./signing/nonce-cache.js";
import { createRequestVerifier } from "./signing/request-verification.js";
import { loadOrCreateServerKey } from "./signing/server-key.js";
import { throttledLog } from "./throttled-log.js";
import { createWelcomePush } from "./welcome-push.js";

/** Options of {@link installFederation}. */
export interface FederationOptions {
  /** The federation settings; `publicUrl` and `serverName` must be set. */
  config: FederationConfig;
  /** The data directory: the signing key defaults to `federation-key.json` in it. */
  dataDir: string;
  services: Services;
  service: ServiceContext;
  metrics: Metrics;
  /** How often mirrored groups and pending Welcomes are retried (ms); default 2,000. */
  pollIntervalMs?: number;
}

/**
 * Makes this server a member of the federation (`docs/architecture.md` "Federation"): loads (or
 * creates) its Ed25519 signing key, publishes its `ServerDocument` at `/.well-known/volly-server`,
 * serves the signed server-to-server API (each request verified — RFC 9421 signature, ±5 min,
 * nonce not replayed — and admitted by the allow/block lists and a per-server rate limit), makes
 * the services federation-aware (`follower-relay.ts`) and runs the mirror catch-up and Welcome
 * delivery until the app closes. Federation health: `volly_federation_*` in the app's metrics.
 *
 * @throws VollyError VOLLY_E_USAGE when the public URL is not set; what reading the key file throws
 */
export async function installFederation(app: FastifyInstance, options: FederationOptions): Promise<void> {
  const { config } = options;
  if (!config.publicUrl || !config.serverName) {
    throw new VollyError("VOLLY_E_USAGE", "Federation needs the server's public URL (VOLLY_PUBLIC_URL).");
  }
  const serverName = config.serverName;
  const publicUrl = config.publicUrl;
  const key = await loadOrCreateServerKey(config.keyFile ?? join(options.dataDir, "federation-key.json"));
  const metrics = createFederationMetrics(options.metrics.registry);
  const policy = createFederationPolicy({ allow: config.allow, block: config.block });
  const limiter = createServerRateLimiter({ perMinute: config.requestsPerMinute });
  const servers = createServerDirectory();
  const caller = createFederationClient({ serverName, key, directory: servers, policy, metrics });
  const verifier = createRequestVerifier({
    resolveKey: (server, keyId) => servers.key(server, keyId),
    nonces: createNonceCache(),
  });
  const ctx: FederationContext = {
    serverName,
    services: options.services,
    service: options.service,
    caller,
    metrics,
    log: throttledLog(app.log),
  };
  const directory = createRemoteDirectory(ctx);
  const mirror = createLogMirror(ctx, directory, { pollIntervalMs: options.pollIntervalMs ?? 2_000 });
  const notices = createHubNotices(ctx, (groupId, after, limit) => hub.page(groupId, after, limit));
  const hubs = createGroupHubs(options.service.store);
  const blobs = createBlobRelay(ctx, hubs);
  installBlobReads(ctx, blobs, hubs);
  const hub = createHubService(ctx, directory, hubs, blobs, (server, groupId, upToSeq) =>
    notices.served(server, groupId, upToSeq),
  );
  const welcomes = createWelcomePush(ctx, { intervalMs: options.pollIntervalMs ?? 2_000 });
  const outbox = createFederationOutbox(ctx, { intervalMs: options.pollIntervalMs ?? 2_000 });
  installFollowerRelay(ctx, { directory, mirror, notices, welcomes, hubs, outbox });
  const moves = createAccountMoves(ctx, directory, mirror, outbox);
  options.services.accountMoves = moves;
  const communityHandlers = localCommunityHandlers(options.services);
  installCommunityRelay(ctx, communityHandlers);
  installChannelGroupRelay(ctx, mirror);
  const communityUpdates = installCommunityUpdates(ctx);
  const communityCalls = createCommunityCalls(ctx, directory, communityHandlers);
  const presence = createPresenceBridge(ctx);
  const signals = createSignalRelay(ctx, createMembershipPolicies(options.service.now), hubs.hubOf);
  signals.install();
  const gate: FederationGate = {
    async admit(request) {
      let origin = "unknown";
      try {
        // A blocked server is refused before anything is fetched to check its signature.
        const claimed = request.headers["volly-origin"];
        if (typeof claimed === "string" && !policy.allows(claimed)) {
          throw new VollyError("VOLLY_E_FEDERATION_BLOCKED", undefined, { server: claimed });
        }
        origin = (await verifier.verify({ ...request, url: `${publicUrl}${request.path}` })).serverName;
        if (!policy.allows(origin))
          throw new VollyError("VOLLY_E_FEDERATION_BLOCKED", undefined, { server: origin });
        const taken = limiter.take(origin);
        if (!taken.allowed) {
          throw new VollyError("VOLLY_E_RATE_LIMITED", "Too many requests from that server.", {
            retryAfterMs: taken.retryAfterMs,
          });
        }
      } catch (error) {
        metrics.incoming(origin, "refused");
        throw error;
      }
      metrics.incoming(origin, "ok");
      return origin;
    },
  };
  registerFederationRoutes(app, {
    document: () => ({
      v: 1,
      name: serverName,
      federationUrl: publicUrl,
      keys: [{ keyId: key.keyId, publicKey: toBase64Url(key.publicKey) }],
    }),
    gate,
    hub,
    moves,
    blobs,
    mirror,
    removals: createMirrorRemovals(ctx),
    signals,
    presence,
    communityCalls,
    communityUpdates,
  });
  mirror.start();
  welcomes.start();
  outbox.start();
  const cursorReports = createCursorReports(ctx, hubs, { intervalMs: 5 * (options.pollIntervalMs ?? 2_000) });
  cursorReports.start();
  presence.start();
  app.addHook("onClose", async () => {
    presence.stop();
    await mirror.stop();
    await welcomes.stop();
    await outbox.stop();
    await cursorReports.stop();
  });
}
