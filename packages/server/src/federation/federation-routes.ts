import { open } from "node:fs/promises";
import type { TSchema } from "@sinclair/typebox";
import {
  FEDERATION_PREFIX,
  FEDERATION_WELL_KNOWN_PATH,
  FederatedAccountParams,
  FederatedBlobParams,
  FederatedClaimBody,
  FederatedCommunityCall,
  FederatedCommunityParams,
  FederatedCommunityUpdate,
  FederatedCursorsBody,
  FederatedGroupCreation,
  FederatedGroupParams,
  FederatedMoveBody,
  FederatedPresence,
  FederatedRemovalsBody,
  FederatedSignal,
  FederatedWelcome,
  ForwardedCommitBody,
  ForwardedDeviceBody,
  ForwardedMessagesBody,
  GroupInfoQuery,
  LIMITS,
  LogNotice,
  LogPageQuery,
  parse,
  type ServerDocument,
  VollyError,
} from "@volly/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { jsonTextParser } from "../http/json-body.js";
import type { AccountMoves } from "./account-moves.js";
import type { BlobRelay } from "./blob-relay.js";
import type { CommunityCalls } from "./community-calls.js";
import type { CommunityUpdates } from "./community-updates.js";
import type { HubService } from "./hub-service.js";
import type { LogMirror } from "./log-mirror.js";
import type { MirrorRemovals } from "./mirror-removals.js";
import type { PresenceBridge } from "./presence-bridge.js";
import type { SignalRelay } from "./signal-relay.js";

/** What a signed server-to-server request proves: the calling server, checked and admitted. */
export interface FederationGate {
  /**
   * Verifies the request's signature (RFC 9421) and admits its server (allow/block lists, rate limit).
   *
   * @param request the method, the path with query, the headers and the raw body bytes
   * @returns the calling server's name
   * @throws VOLLY_E_FEDERATION_SIGNATURE_INVALID, VOLLY_E_FEDERATION_STALE, VOLLY_E_FEDERATION_REPLAYED,
   *   VOLLY_E_FEDERATION_BLOCKED, VOLLY_E_RATE_LIMITED
   */
  admit(request: {
    method: string;
    path: string;
    headers: Record<string, string | string[] | undefined>;
    body?: Uint8Array;
  }): Promise<string>;
}

/** Largest server-to-server request body: a forwarded commit of the largest group, and some (bytes). */
const MAX_FEDERATION_BODY_BYTES = LIMITS.maxRequestBodyBytes + 64 * 1024;

/**
 * Registers the federation API: `GET /.well-known/volly-server` (the server's name, federation URL
 * and signing keys; unsigned) and the signed routes under `/federation/v1` (see
 * `packages/protocol/src/federation.ts`). Each signed request is admitted by `gate` before its body
 * is parsed; then params, query and body are validated against their schemas
 * (VOLLY_E_BAD_REQUEST). Errors are the app's typed error bodies.
 */
export function registerFederationRoutes(
  app: FastifyInstance,
  deps: {
    document: () => ServerDocument;
    gate: FederationGate;
    hub: HubService;
    moves: AccountMoves;
    blobs: BlobRelay;
    mirror: LogMirror;
    removals: MirrorRemovals;
    signals: SignalRelay;
    presence: PresenceBridge;
    communityCalls: CommunityCalls;
    communityUpdates: CommunityUpdates;
  },
): void {
  const { gate, hub, moves, blobs, mirror, removals, signals, presence, communityCalls, communityUpdates } =
    deps;
  app.get(FEDERATION_WELL_KNOWN_PATH, async (_request, reply) =>
    reply
      .type("application/json")
      .header("cache-control", "max-age=300")
      .send(JSON.stringify(deps.document())),
  );

  const parseJson = jsonTextParser(app);
  /** The request's JSON body (after its signature was checked); {} for none. */
  const jsonBody = (raw: Uint8Array | undefined): unknown => {
    if (!raw || raw.length === 0) return {};
    try {
      return parseJson(new TextDecoder().decode(raw));
    } catch (error) {
      if (error instanceof VollyError) throw error;
      throw new VollyError("VOLLY_E_BAD_REQUEST", "The body is not valid JSON.");
    }
  };

  app.register(
    async (scope) => {
      scope.removeContentTypeParser("application/json");
      scope.addContentTypeParser(
        "application/json",
        { parseAs: "buffer", bodyLimit: MAX_FEDERATION_BODY_BYTES },
        (_r, body, done) => done(null, body),
      );

      /** Admits the request, then parses its JSON body (raw bytes until the signature is checked). */
      const admitted = async (request: FastifyRequest) => {
        const raw = request.body instanceof Buffer ? new Uint8Array(request.body) : undefined;
        const origin = await gate.admit({
          method: request.method,
          path: request.url,
          headers: request.headers,
          ...(raw ? { body: raw } : {}),
        });
        return { origin, json: () => jsonBody(raw) };
      };

      const post = <S extends TSchema>(
        path: string,
        schema: S,
        handler: (origin: string, params: unknown, body: unknown) => Promise<unknown>,
      ) =>
        scope.post(`${FEDERATION_PREFIX}${path}`, async (request, reply) => {
          const { origin, json } = await admitted(request);
          const result = await handler(origin, request.params, parse(schema, json()));
          return reply.type("application/json").send(JSON.stringify(result));
        });

      scope.get(`${FEDERATION_PREFIX}/accounts/:handle`, async (request, reply) => {
        await admitted(request);
        const { handle } = parse(FederatedAccountParams, request.params);
        const account = await hub.describeAccount(handle).catch(async (error: unknown) => {
          // A handle that moved away answers with the handle it moved to.
          const moved = error instanceof VollyError && error.code === "VOLLY_E_UNKNOWN_HANDLE";
          const described = moved ? await moves.describeMoved(handle) : undefined;
          if (!described) throw error;
          return described;
        });
        return reply.type("application/json").send(JSON.stringify(account));
      });
      scope.get(`${FEDERATION_PREFIX}/groups/:groupId/log`, async (request, reply) => {
        const { origin } = await admitted(request);
        const { groupId } = parse(FederatedGroupParams, request.params);
        const query = request.query as Record<string, string>;
        const { after, limit } = parse(LogPageQuery, {
          after: Number(query.after),
          ...(query.limit !== undefined ? { limit: Number(query.limit) } : {}),
        });
        return reply
          .type("application/json")
          .send(JSON.stringify(await hub.logPage(origin, groupId, after, limit)));
      });
      scope.get(`${FEDERATION_PREFIX}/groups/:groupId/info`, async (request, reply) => {
        const { origin } = await admitted(request);
        const { groupId } = parse(FederatedGroupParams, request.params);
        const { deviceId } = parse(GroupInfoQuery, request.query);
        return reply
          .type("application/json")
          .send(JSON.stringify(await hub.groupInfo(origin, groupId, deviceId)));
      });
      scope.get(`${FEDERATION_PREFIX}/groups/:groupId/blobs/:blobId`, async (request, reply) => {
        const { origin } = await admitted(request);
        const { groupId, blobId } = parse(FederatedBlobParams, request.params);
        const { blob, path } = await blobs.servable(origin, groupId, blobId);
        const file = await open(path).catch(() => {
          throw new VollyError("VOLLY_E_NOT_FOUND");
        });
        return reply
          .type("application/octet-stream")
          .header("content-length", String(blob.size))
          .header("cache-control", "no-store")
          .send(file.createReadStream());
      });
      const groupOf = (params: unknown) => parse(FederatedGroupParams, params).groupId;
      post("/key-packages/claim", FederatedClaimBody, (origin, _p, body) =>
        hub.claim(origin, body as FederatedClaimBody),
      );
      post("/moves", FederatedMoveBody, (origin, _p, body) =>
        moves.receive(origin, (body as FederatedMoveBody).move),
      );
      post("/groups/:groupId/messages", ForwardedMessagesBody, (origin, params, body) =>
        hub.acceptMessages(origin, groupOf(params), body as ForwardedMessagesBody),
      );
      post("/groups/:groupId/commits", ForwardedCommitBody, (origin, params, body) =>
        hub.acceptCommit(origin, groupOf(params), body as ForwardedCommitBody),
      );
      post("/groups/:groupId/departures", ForwardedDeviceBody, (origin, params, body) =>
        hub.acceptDeparture(origin, groupOf(params), (body as ForwardedDeviceBody).deviceId),
      );
      post("/groups/:groupId/deletions", ForwardedDeviceBody, (origin, params, body) => {
        const { deviceId, messageId } = body as ForwardedDeviceBody;
        if (messageId === undefined)
          throw new VollyError("VOLLY_E_BAD_REQUEST", "A deletion names its message.");
        return hub.acceptDeletion(origin, groupOf(params), deviceId, messageId);
      });
      post("/groups/:groupId/notices", LogNotice, async (origin, params, body) => {
        await mirror.notice(origin, groupOf(params), body as LogNotice);
        return {};
      });
      post("/groups/:groupId/cursors", FederatedCursorsBody, async (origin, params, body) => {
        await hub.acceptCursors(origin, groupOf(params), body as FederatedCursorsBody);
        return {};
      });
      post("/groups/:groupId/removals", FederatedRemovalsBody, async (origin, params, body) => {
        await removals.removed(origin, groupOf(params), (body as FederatedRemovalsBody).messageIds);
        return {};
      });
      post("/groups/:groupId/signals", FederatedSignal, async (origin, params, body) => {
        await signals.receive(origin, groupOf(params), body as FederatedSignal);
        return {};
      });
      post("/presence", FederatedPresence, async (origin, _p, body) => {
        await presence.receive(origin, body as FederatedPresence);
        return {};
      });
      post("/communities/calls", FederatedCommunityCall, (origin, _p, body) =>
        communityCalls.call(origin, body as FederatedCommunityCall),
      );
      post("/communities/:communityId/updates", FederatedCommunityUpdate, async (origin, params, body) => {
        const { communityId } = parse(FederatedCommunityParams, params);
        await communityUpdates.receive(origin, communityId, body as FederatedCommunityUpdate);
        return {};
      });
      post("/groups", FederatedGroupCreation, (origin, _p, body) =>
        hub.createChannelGroup(origin, body as FederatedGroupCreation),
      );
      post("/welcomes", FederatedWelcome, async (origin, _p, body) => {
        await mirror.welcome(origin, body as FederatedWelcome);
        return {};
      });
    },
    { bodyLimit: MAX_FEDERATION_BODY_BYTES } as never,
  );
}
