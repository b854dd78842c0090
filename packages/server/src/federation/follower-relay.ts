import type { Static, TSchema } from "@sinclair/typebox";
import {
  ClaimKeyPackagesResponse,
  CommitResponse,
  DeleteMessageResponse,
  ERROR_CODES,
  type ErrorCode,
  FEDERATION_PREFIX,
  type ForwardedMessageBody,
  ForwardedMessagesResponse,
  GroupInfoResponse,
  LeaveGroupResponse,
  MAX_FORWARDED_MESSAGES,
  type SendMessageResponse,
  VollyError,
} from "@volly/protocol";
import { checkBlobDeclaration } from "../services/blobs/blob-references.js";
import { announceJoins, externallyJoined } from "../services/delivery/commits.js";
import type { FederationContext } from "./federation-context.js";
import type { FederationOutbox } from "./federation-outbox.js";
import type { GroupHubs } from "./group-hubs.js";
import type { HubNotices } from "./hub-notices.js";
import type { LogMirror } from "./log-mirror.js";
import type { RemoteDirectory } from "./remote-directory.js";
import type { WelcomePush } from "./welcome-push.js";

/** A forwarded message waiting for the hub's answer. */
interface Waiting {
  item: ForwardedMessageBody;
  resolve(result: SendMessageResponse): void;
  reject(error: unknown): void;
}

/**
 * Checks, before a message is forwarded to its group's hub, that every blob it points at is a
 * complete blob of the group held here (or one the sender's account uploaded here): the hub fetches
 * them from this server before it appends the message.
 *
 * @throws VollyError VOLLY_E_BLOB_NOT_READY (details.blobId) for the first one that is not
 */
async function checkBlobsHeld(
  store: FederationContext["service"]["store"],
  groupId: string,
  accountId: string | undefined,
  blobIds: readonly string[],
): Promise<void> {
  for (const blobId of blobIds) {
    const blob = await store.blobs.findBlob(blobId);
    if (!blob || (blob.groupId !== groupId && blob.accountId !== accountId)) {
      throw new VollyError("VOLLY_E_BLOB_NOT_READY", undefined, { blobId });
    }
  }
}

/** The hub's refusal of one forwarded message, as the error the sender gets. */
function hubError(error: { code: string; message: string; details?: Record<string, unknown> }): VollyError {
  return error.code in ERROR_CODES
    ? new VollyError(error.code as ErrorCode, error.message, error.details)
    : new VollyError("VOLLY_E_FEDERATION_UNREACHABLE", "The hub refused the message with an unknown code.");
}

/**
 * Makes the server's services federation-aware, in place (every holder of `ctx.services` sees it):
 *
 * - a message deleted for everyone in a group hosted here is deleted from the followers' copies too
 *   (a removal note, `federation-outbox.ts`);
 * - a send, commit, departure or deletion in a group another server hosts is forwarded to that hub
 *   (one group's forwarded sends go one after another, in the order they came, so a sender's order
 *   holds) and answered with the hub's answer: acknowledged once durable at the hub. The local copy
 *   catches up after it (before a commit is answered, so the committer reads its new epoch here);
 * - an append to a group hosted here notes the follower servers (`HubNotices`), and a commit that
 *   added devices of other servers sends their Welcomes (`WelcomePush`);
 * - a key package claim for devices of other servers is made at their home servers, and the
 *   GroupInfo of a group another server hosts (resync) is asked of its hub;
 * - a message pointing at blobs in a group another server hosts is forwarded once each blob is
 *   complete here (the hub fetches them from here, `blob-relay.ts`);
 * - a directory lookup of `user@server` asks that server (`RemoteDirectory`);
 * - devices of other servers cannot sign in here (they connect to their own server).
 */
export function installFollowerRelay(
  ctx: FederationContext,
  parts: {
    directory: RemoteDirectory;
    mirror: LogMirror;
    notices: HubNotices;
    welcomes: WelcomePush;
    hubs: GroupHubs;
    outbox: FederationOutbox;
  },
): void {
  const { store } = ctx.service;
  const { delivery, keyPackages, accounts, auth } = ctx.services;
  const { directory, mirror, notices, welcomes } = parts;
  const hubOf = parts.hubs.hubOf;
  const lanes = new Map<string, Promise<unknown>>();

  const forward = <T extends TSchema>(
    hub: string,
    groupId: string,
    route: string,
    body: unknown,
    response: T,
  ) =>
    ctx.caller.request<Static<T>>(hub, "POST", `${FEDERATION_PREFIX}/groups/${groupId}/${route}`, {
      body,
      response,
    });

  /** Per group: the batch of messages that the next forward in its lane will carry, if one is open. */
  const openBatches = new Map<string, Waiting[]>();

  /** Runs `task` after the group's previous forwarded send (its lane). */
  const inLane = <T>(groupId: string, task: () => Promise<T>): Promise<T> => {
    openBatches.delete(groupId); // messages from now on go after this task
    const previous = lanes.get(groupId) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    lanes.set(groupId, tail);
    tail.then(() => {
      if (lanes.get(groupId) === tail) lanes.delete(groupId);
    });
    return next;
  };

  const catchUp = (groupId: string, seq: number) =>
    mirror
      .sync(groupId, seq)
      .catch((error: unknown) =>
        ctx.log.warn(
          { groupId, code: (error as VollyError).code },
          "federation: catch-up after a forward failed",
        ),
      );

  /** Forwards one batch (in chunks of MAX_FORWARDED_MESSAGES) and settles each message's promise. */
  const forwardBatch = async (hub: string, groupId: string, batch: Waiting[]) => {
    for (let i = 0; i < batch.length; i += MAX_FORWARDED_MESSAGES) {
      const chunk = batch.slice(i, i + MAX_FORWARDED_MESSAGES);
      try {
        const { results } = await forward(
          hub,
          groupId,
          "messages",
          { messages: chunk.map((w) => w.item) },
          ForwardedMessagesResponse,
        );
        chunk.forEach((waiting, j) => {
          const result = results[j];
          if (!result)
            waiting.reject(new VollyError("VOLLY_E_FEDERATION_UNREACHABLE", "The hub skipped a message."));
          else if ("error" in result) waiting.reject(hubError(result.error));
          else waiting.resolve(result);
        });
      } catch (error) {
        for (const waiting of chunk) waiting.reject(error);
      }
    }
  };

  /** Queues a message for the group's open batch (opening one, forwarded in the lane, if none is). */
  const forwardMessage = (hub: string, groupId: string, item: ForwardedMessageBody) =>
    new Promise<SendMessageResponse>((resolve, reject) => {
      const open = openBatches.get(groupId);
      if (open) {
        open.push({ item, resolve, reject });
        return;
      }
      const batch: Waiting[] = [{ item, resolve, reject }];
      void inLane(groupId, () => {
        if (openBatches.get(groupId) === batch) openBatches.delete(groupId);
        return forwardBatch(hub, groupId, batch);
      });
      openBatches.set(groupId, batch);
    });

  const send = delivery.sendMessage.bind(delivery);
  delivery.sendMessage = async (deviceId, groupId, body, sender) => {
    // Known hubs are answered without an await, so appends start in the order they were called.
    const known = parts.hubs.known(groupId);
    const hub = known === undefined ? await hubOf(groupId) : (known ?? undefined);
    if (hub === undefined) {
      const result = await send(deviceId, groupId, body, sender);
      if (!result.duplicate) notices.appended(groupId, result.seq, false);
      return result;
    }
    if (body.blobIds) {
      checkBlobDeclaration(body);
      const accountId = sender?.accountId ?? (await store.devices.findById(deviceId))?.accountId;
      await checkBlobsHeld(store, groupId, accountId, body.blobIds);
    }
    const answer = await forwardMessage(hub, groupId, { deviceId, message: body });
    void catchUp(groupId, answer.seq);
    return answer;
  };

  const commit = delivery.commit.bind(delivery);
  delivery.commit = async (deviceId, groupId, body) => {
    const hub = await hubOf(groupId);
    if (hub === undefined) {
      const result = await commit(deviceId, groupId, body);
      notices.appended(groupId, result.seq, true);
      if (body.addDeviceIds.length > 0) welcomes.kick();
      return result;
    }
    const added: { deviceId: string; handle: string }[] = [];
    for (const device of await store.devices.findMany(body.addDeviceIds)) {
      const account = await store.accounts.findById(device.accountId);
      if (account) added.push({ deviceId: device.id, handle: account.handle });
    }
    const answer = await inLane(groupId, () =>
      forward(hub, groupId, "commits", { deviceId, commit: body, added }, CommitResponse),
    );
    // A device that joined a group not mirrored here yet (another server's channel, by external
    // commit): the copy starts now.
    if (parts.hubs.known(groupId) === undefined) await mirror.follow(groupId, hub);
    await catchUp(groupId, answer.seq);
    // As for a group hosted here: this server's devices that joined by external commit follow it now.
    const joined = externallyJoined(body);
    if (joined.length > 0) {
      const remote = await store.federation.homesOf(joined);
      const here = joined.filter((id) => !remote.has(id));
      announceJoins(ctx.service.bus, groupId, here, answer.seq);
    }
    return answer;
  };

  const leave = delivery.leave.bind(delivery);
  delivery.leave = async (deviceId, groupId) => {
    const hub = await hubOf(groupId);
    if (hub === undefined) {
      const result = await leave(deviceId, groupId);
      notices.appended(groupId, result.seq, true);
      return result;
    }
    const answer = await inLane(groupId, () =>
      forward(hub, groupId, "departures", { deviceId }, LeaveGroupResponse),
    );
    await catchUp(groupId, answer.seq);
    return answer;
  };

  const remove = delivery.deleteMessage.bind(delivery);
  delivery.deleteMessage = async (caller, groupId, messageId) => {
    const hub = await hubOf(groupId);
    if (hub === undefined) {
      const deleted = await remove(caller, groupId, messageId);
      // The servers holding a copy of the group's log delete theirs too (queued until they answer).
      await parts.outbox.queue(
        await store.federation.followerServers(groupId),
        `/groups/${groupId}/removals`,
        {
          messageIds: [messageId],
        },
      );
      parts.outbox.flush();
      return deleted;
    }
    return forward(
      hub,
      groupId,
      "deletions",
      { deviceId: caller.deviceId, messageId },
      DeleteMessageResponse,
    );
  };

  const { groups } = ctx.services;
  const getGroupInfo = groups.getGroupInfo.bind(groups);
  groups.getGroupInfo = async (deviceId, groupId) => {
    const hub = await hubOf(groupId);
    if (hub === undefined) return getGroupInfo(deviceId, groupId);
    return ctx.caller.request<GroupInfoResponse>(hub, "GET", `${FEDERATION_PREFIX}/groups/${groupId}/info`, {
      query: { deviceId },
      response: GroupInfoResponse,
    });
  };

  const claim = keyPackages.claim.bind(keyPackages);
  keyPackages.claim = async (claimer, body) => {
    const homes = await store.federation.homesOf(body.deviceIds);
    if (homes.size === 0) return claim(claimer, body);
    const account = await store.accounts.findById(claimer.accountId);
    if (!account) throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId: claimer.deviceId });
    const local = body.deviceIds.filter((id) => !homes.has(id));
    const byServer = new Map<string, string[]>();
    for (const [deviceId, server] of homes) byServer.set(server, [...(byServer.get(server) ?? []), deviceId]);
    const claimed = new Map<string, ClaimKeyPackagesResponse["keyPackages"][number]>();
    if (local.length > 0) {
      for (const kp of (await claim(claimer, { ...body, deviceIds: local })).keyPackages)
        claimed.set(kp.deviceId, kp);
    }
    for (const [server, deviceIds] of byServer) {
      const answer = await ctx.caller.request<ClaimKeyPackagesResponse>(
        server,
        "POST",
        `${FEDERATION_PREFIX}/key-packages/claim`,
        {
          body: {
            claimer: { accountId: claimer.accountId, deviceId: claimer.deviceId, handle: account.handle },
            deviceIds,
            reason: body.reason,
          },
          response: ClaimKeyPackagesResponse,
        },
      );
      for (const kp of answer.keyPackages) if (deviceIds.includes(kp.deviceId)) claimed.set(kp.deviceId, kp);
    }
    const keyPackagesOut = body.deviceIds.map((deviceId) => {
      const kp = claimed.get(deviceId);
      if (!kp) throw new VollyError("VOLLY_E_NO_KEY_PACKAGE", undefined, { deviceId });
      return kp;
    });
    return { keyPackages: keyPackagesOut };
  };

  const getAccount = accounts.getAccount.bind(accounts);
  accounts.getAccount = async (handle) => getAccount(await directory.resolveHandle(handle));

  const refuseRemote = async (deviceId: string) => {
    if ((await store.federation.homesOf([deviceId])).size > 0) {
      throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", "That device signs in at its own server.", { deviceId });
    }
  };
  const challenge = auth.challenge.bind(auth);
  auth.challenge = async (deviceId) => {
    await refuseRemote(deviceId);
    return challenge(deviceId);
  };
  const verifyIdentify = auth.verifyIdentify.bind(auth);
  auth.verifyIdentify = async (deviceId, nonce, signature, apiKey) => {
    await refuseRemote(deviceId);
    return verifyIdentify(deviceId, nonce, signature, apiKey);
  };
}
