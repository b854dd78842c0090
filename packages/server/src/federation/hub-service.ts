import {
  type ClaimKeyPackagesResponse,
  type CommitResponse,
  type DeleteMessageResponse,
  type EntityType,
  type FederatedAccount,
  type FederatedClaimBody,
  type FederatedCursorsBody,
  type FederatedDeviceRef,
  type FederatedGroupCreation,
  type ForwardedCommitBody,
  type ForwardedMessageBody,
  type ForwardedMessagesBody,
  type ForwardedMessagesResponse,
  type GroupInfoResponse,
  type GroupResponse,
  type LeaveGroupResponse,
  type LogPage,
  parseHandle,
  type SendMessageResponse,
  VollyError,
} from "@volly/protocol";
import type { BlobRelay } from "./blob-relay.js";
import type { FederationContext } from "./federation-context.js";
import type { GroupHubs } from "./group-hubs.js";
import type { RemoteDirectory } from "./remote-directory.js";

/** Entries per log page when the follower does not say (at most 1,000). */
const DEFAULT_PAGE = 500;
/** How long a built device ref is reused (ms). */
const REF_TTL_MS = 60_000;
/** How long a follower's right to read a group is reused before it is checked again (ms). */
const FOLLOWER_TTL_MS = 5_000;

/**
 * What this server answers other servers: as a home server, its accounts' directory entries and key
 * packages; as a hub, the forwarded sends, commits, departures and deletions of other servers'
 * member devices, and pages of its groups' logs for the servers whose devices read them. `origin` is
 * always the calling server as its request signature proved it.
 */
export interface HubService {
  /** A local account as other servers see it. @throws VOLLY_E_UNKNOWN_HANDLE */
  describeAccount(user: string): Promise<FederatedAccount>;
  /**
   * Claims key packages of local devices for a claimer of `origin` (the consent and rate limits of a
   * local claim; a `group-add` for a group this server does not know counts as a first contact).
   *
   * @throws VOLLY_E_FORBIDDEN (the claimer is not an account of `origin`), and what a claim throws
   */
  claim(origin: string, body: FederatedClaimBody): Promise<ClaimKeyPackagesResponse>;
  /**
   * Appends a message of an `origin` device to a group hosted here (acknowledged once durable here).
   * @throws VOLLY_E_FORBIDDEN (the device is not of `origin`), VOLLY_E_UNKNOWN_GROUP, and what a send throws
   */
  acceptMessage(origin: string, groupId: string, body: ForwardedMessageBody): Promise<SendMessageResponse>;
  /**
   * Appends forwarded messages in their order (each as {@link acceptMessage}); one message's refusal
   * does not stop the others. When the store appends in call order they are sent together (one
   * group commit), else one after another.
   */
  acceptMessages(
    origin: string,
    groupId: string,
    body: ForwardedMessagesBody,
  ): Promise<ForwardedMessagesResponse>;
  /**
   * Sequences a commit of an `origin` device in a group hosted here, after looking up the added
   * devices this server does not know at their home servers.
   * @throws VOLLY_E_FORBIDDEN, VOLLY_E_UNKNOWN_GROUP, VOLLY_E_UNKNOWN_DEVICE, and what a commit throws
   */
  acceptCommit(origin: string, groupId: string, body: ForwardedCommitBody): Promise<CommitResponse>;
  /**
   * The latest GroupInfo and ratchet tree of a group hosted here, for a device of `origin` the
   * group's policy lets see it (resync by external commit, RFC 9420 §12.4.3.2).
   * @throws VOLLY_E_FORBIDDEN (the device is not of `origin`), and what `GroupService.getGroupInfo` throws
   */
  groupInfo(origin: string, groupId: string, deviceId: string): Promise<GroupInfoResponse>;
  /**
   * Creates the MLS group of a channel of a community hosted here for a device of `origin`, as
   * POST /v1/groups does for a device of this server (the group is then hosted here).
   * @throws VOLLY_E_FORBIDDEN (not `origin`'s device), VOLLY_E_BAD_REQUEST (no channelId), and what
   *   `GroupService.createGroup` throws (VOLLY_E_UNKNOWN_CHANNEL, VOLLY_E_GROUP_EXISTS, …)
   */
  createChannelGroup(origin: string, creation: FederatedGroupCreation): Promise<GroupResponse>;
  /** Records the departure of an `origin` device. @throws as {@link acceptMessage} */
  acceptDeparture(origin: string, groupId: string, deviceId: string): Promise<LeaveGroupResponse>;
  /** Deletes a message for an `origin` device. @throws as {@link acceptMessage}, VOLLY_E_UNKNOWN_MESSAGE */
  acceptDeletion(
    origin: string,
    groupId: string,
    deviceId: string,
    messageId: string,
  ): Promise<DeleteMessageResponse>;
  /**
   * Advances the hub's cursors of `origin`'s member devices to where they stand on `origin` (each at
   * most the group's last seq, or the seq its membership ended), so retention prunes what they have.
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_FORBIDDEN (a device is not of `origin`)
   */
  acceptCursors(origin: string, groupId: string, body: FederatedCursorsBody): Promise<void>;
  /**
   * The entries of a group hosted here after `after` (at most `limit`), with the memberships, devices
   * and admins a follower mirrors, for a server some of whose devices are or were members.
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_FORBIDDEN (no device of `origin` ever was a member)
   */
  logPage(origin: string, groupId: string, after: number, limit?: number): Promise<LogPage>;
  /**
   * The page of a group hosted here after `after` (at most `limit` entries; memberships, their
   * devices and the admins only when the page changes them), unchecked: for notes this server sends.
   * Undefined for a group not stored here.
   */
  page(groupId: string, after: number, limit?: number): Promise<LogPage | undefined>;
}

/**
 * Builds the {@link HubService}.
 *
 * @param hubs which groups are hosted here (cached: a group never changes hub)
 * @param blobs fetches the blobs forwarded messages point at from their senders' servers
 * @param onServed called after a follower fetched a page (what the next note to it may carry)
 */
export function createHubService(
  ctx: FederationContext,
  directory: RemoteDirectory,
  hubs: GroupHubs,
  blobs: BlobRelay,
  onServed?: (server: string, groupId: string, upToSeq: number) => void,
): HubService {
  /** "server group" → when that server's right to read that group was last checked (ms). */
  const followers = new Map<string, number>();
  const { store } = ctx.service;
  const { services } = ctx;
  const forbidden = (message: string) => new VollyError("VOLLY_E_FORBIDDEN", message);

  /** Accounts asked about again because another server sent for them: when (ms). */
  const rechecked = new Map<string, number>();
  /**
   * Whether the device's account is (now) `origin`'s. When this server has it at another server,
   * it may have moved to `origin` without this server being told: its home server is asked again
   * (at most once a minute per account), which follows a move it confirms.
   */
  const isOrigins = async (origin: string, deviceId: string, accountId: string) => {
    const home = (await store.federation.homesOf([deviceId])).get(deviceId);
    if (home === origin) return true;
    const known = home !== undefined && (await store.federation.findRemoteAccount(accountId));
    const t = ctx.service.now();
    if (!known || t - (rechecked.get(accountId) ?? -Infinity) < 60_000) return false;
    if (rechecked.size > 10_000) rechecked.clear();
    rechecked.set(accountId, t);
    await directory.lookup(known.user, known.server, 0).catch(() => undefined);
    return (await store.federation.homesOf([deviceId])).get(deviceId) === origin;
  };

  /** The device, when it is one of `origin`'s; its account id and handle here. */
  const originDevice = async (origin: string, deviceId: string) => {
    const device = await store.devices.findById(deviceId);
    if (!device || !(await isOrigins(origin, deviceId, device.accountId))) {
      throw forbidden("That device is not of the calling server.");
    }
    return { deviceId, accountId: device.accountId, handle: device.handle, entityType: device.entityType };
  };

  /** Refuses a group this server does not host (unknown, or mirrored from another hub). */
  const hosted = async (groupId: string) => {
    // hubOf caches what it read: null in `known` means stored and hosted here.
    if ((await hubs.hubOf(groupId)) !== undefined || hubs.known(groupId) !== null) {
      throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
    }
  };

  /** How other servers name the devices `ids` (unknown ones are left out). */
  /** Device refs already built (a device's key and account never change): device id → ref and when. */
  const refCache = new Map<string, { ref: FederatedDeviceRef; at: number }>();
  const deviceRefs = async (ids: readonly string[]): Promise<FederatedDeviceRef[]> => {
    const wanted = [...new Set(ids)];
    const t = ctx.service.now();
    const cached: FederatedDeviceRef[] = [];
    const missing: string[] = [];
    for (const id of wanted) {
      const hit = refCache.get(id);
      if (hit && t - hit.at < REF_TTL_MS) cached.push(hit.ref);
      else missing.push(id);
    }
    if (missing.length === 0) return cached;
    if (refCache.size > 50_000) refCache.clear();
    const devices = await store.devices.findMany(missing);
    const refs: FederatedDeviceRef[] = cached;
    const accounts = new Map<string, { user: string; server: string; entityType: EntityType } | undefined>();
    for (const device of devices) {
      if (!accounts.has(device.accountId)) {
        const account = await store.accounts.findById(device.accountId);
        const remote = account && (await store.federation.findRemoteAccount(device.accountId));
        accounts.set(
          device.accountId,
          account && {
            user: remote ? remote.user : account.handle,
            server: remote ? remote.server : ctx.serverName,
            entityType: account.entityType as EntityType,
          },
        );
      }
      const account = accounts.get(device.accountId);
      if (!account) continue;
      const ref = {
        deviceId: device.id,
        accountId: device.accountId,
        signaturePublicKey: device.signaturePublicKey,
        ...account,
      };
      refCache.set(device.id, { ref, at: t });
      refs.push(ref);
    }
    return refs;
  };

  return {
    async describeAccount(user) {
      const account = await services.accounts.getAccount(user);
      if (await store.federation.findRemoteAccount(account.accountId)) {
        throw new VollyError("VOLLY_E_UNKNOWN_HANDLE", undefined, { handle: user });
      }
      return {
        accountId: account.accountId,
        handle: user,
        entityType: account.entityType,
        ...(account.displayName !== undefined ? { displayName: account.displayName } : {}),
        devices: account.devices.map((d) => ({
          deviceId: d.deviceId,
          signaturePublicKey: d.signaturePublicKey,
        })),
      };
    },

    async claim(origin, { claimer: asked, deviceIds, reason }) {
      const claimerDevice = asked.deviceId;
      const accountId = await directory.lookup(asked.handle, origin);
      const devices = await store.devices.listByAccount(accountId);
      if (accountId !== asked.accountId || !devices.some((d) => d.id === claimerDevice && !d.revokedAt)) {
        throw forbidden("The claimer is not a device of the calling server.");
      }
      const homes = await store.federation.homesOf(deviceIds);
      if (homes.size > 0) throw forbidden("Key packages are claimed at each device's home server.");
      const claimer = { accountId, deviceId: claimerDevice };
      const knownGroup =
        reason.type === "group-add" && (await store.groups.findMembership(reason.groupId, claimerDevice));
      if (reason.type !== "group-add" || knownGroup) {
        return services.keyPackages.claim(claimer, { deviceIds, reason });
      }
      // A group this server does not know: each target account counts as a first contact.
      const owners = await store.devices.accountsOf(deviceIds);
      const byAccount = new Map<string, string[]>();
      for (const id of deviceIds) {
        const owner = owners.get(id) ?? id;
        byAccount.set(owner, [...(byAccount.get(owner) ?? []), id]);
      }
      const claimed = new Map<string, ClaimKeyPackagesResponse["keyPackages"][number]>();
      for (const ids of byAccount.values()) {
        const answer = await services.keyPackages.claim(claimer, {
          deviceIds: ids,
          reason: { type: "first-contact" },
        });
        for (const kp of answer.keyPackages) claimed.set(kp.deviceId, kp);
      }
      return {
        keyPackages: deviceIds.map((id) => {
          const kp = claimed.get(id);
          if (!kp) throw new VollyError("VOLLY_E_NO_KEY_PACKAGE", undefined, { deviceId: id });
          return kp;
        }),
      };
    },

    async acceptMessage(origin, groupId, { deviceId, message }) {
      const device = await originDevice(origin, deviceId);
      await hosted(groupId);
      return services.delivery.sendMessage(deviceId, groupId, message, device);
    },

    async acceptMessages(origin, groupId, { messages }) {
      // Checked once per batch and device, before any append, so the appends below start in the
      // batch's order within one tick (the order a store that appends in call order keeps).
      await hosted(groupId);
      const devices = new Map<string, Awaited<ReturnType<typeof originDevice>> | VollyError>();
      for (const { deviceId } of messages) {
        if (devices.has(deviceId)) continue;
        devices.set(
          deviceId,
          await originDevice(origin, deviceId).catch((error: unknown) => {
            if (error instanceof VollyError) return error;
            throw error;
          }),
        );
      }
      // Blobs the messages point at that this server does not hold yet come from the sender's server
      // first (sent to the sender's server, then the message forwarded here).
      const missingBlobs = new Map<ForwardedMessageBody, VollyError>();
      for (const item of messages) {
        const device = devices.get(item.deviceId);
        if (!item.message.blobIds || !device || device instanceof VollyError) continue;
        // Nothing is fetched for a device that is not a member (its send is refused below).
        const membership = await store.groups.findMembership(groupId, item.deviceId);
        if (!membership || membership.leftSeq !== null) continue;
        for (const blobId of item.message.blobIds) {
          const fetched = await blobs.ensure(origin, groupId, blobId, device.accountId).then(
            () => undefined,
            // The sender's server out of reach: the send is retried later; anything else (the blob
            // is not there, does not match its id, passes the quota) refuses it for good.
            (error: unknown) =>
              error instanceof VollyError && error.code === "VOLLY_E_FEDERATION_UNREACHABLE"
                ? error
                : new VollyError("VOLLY_E_BLOB_NOT_READY", undefined, {
                    blobId,
                    cause: error instanceof VollyError ? error.code : "error",
                  }),
          );
          if (fetched) {
            missingBlobs.set(item, fetched);
            break;
          }
        }
      }
      const refusal = (error: VollyError) => ({
        error: {
          code: error.code,
          message: error.message,
          ...(error.details !== undefined ? { details: error.details } : {}),
        },
      });
      const accept = (item: ForwardedMessageBody) => {
        const device = devices.get(item.deviceId);
        if (!device || device instanceof VollyError) {
          return Promise.resolve(refusal(device ?? new VollyError("VOLLY_E_FORBIDDEN")));
        }
        const blobError = missingBlobs.get(item);
        if (blobError) return Promise.resolve(refusal(blobError));
        return services.delivery.sendMessage(item.deviceId, groupId, item.message, device).then(
          (result) => ({ seq: result.seq, duplicate: result.duplicate }),
          (error: unknown) => {
            if (error instanceof VollyError) return refusal(error);
            throw error;
          },
        );
      };
      // Started in order: the group commit appends them in call order.
      return { results: await Promise.all(messages.map(accept)) };
    },

    async acceptCommit(origin, groupId, { deviceId, commit, added }) {
      await originDevice(origin, deviceId);
      await hosted(groupId);
      const handles = new Map(added.map((a) => [a.deviceId, a.handle]));
      const known = new Set((await store.devices.findMany(commit.addDeviceIds)).map((d) => d.id));
      for (const id of commit.addDeviceIds) {
        if (known.has(id)) continue;
        const parts = parseHandle(handles.get(id) ?? "");
        if (!parts) throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId: id });
        const server = parts.server ?? origin;
        if (server === ctx.serverName)
          throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId: id });
        await directory.lookup(parts.user, server, 0);
      }
      return services.delivery.commit(deviceId, groupId, commit);
    },

    async groupInfo(origin, groupId, deviceId) {
      await originDevice(origin, deviceId);
      await hosted(groupId);
      return services.groups.getGroupInfo(deviceId, groupId);
    },

    async createChannelGroup(origin, { deviceId, group }) {
      await originDevice(origin, deviceId);
      if (group.channelId === undefined) {
        throw new VollyError("VOLLY_E_BAD_REQUEST", "Only a channel's group is created at another server.", {
          field: "channelId",
        });
      }
      return services.groups.createGroup(deviceId, group);
    },

    async acceptDeparture(origin, groupId, deviceId) {
      await originDevice(origin, deviceId);
      await hosted(groupId);
      return services.delivery.leave(deviceId, groupId);
    },

    async acceptDeletion(origin, groupId, deviceId, messageId) {
      const device = await originDevice(origin, deviceId);
      await hosted(groupId);
      return services.delivery.deleteMessage(device, groupId, messageId);
    },

    async acceptCursors(origin, groupId, { cursors }) {
      await hosted(groupId);
      const homes = await store.federation.homesOf(cursors.map((c) => c.deviceId));
      if (cursors.some((c) => homes.get(c.deviceId) !== origin)) {
        throw forbidden("That device is not of the calling server.");
      }
      const group = await store.groups.find(groupId);
      if (!group) throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
      const readers = new Map((await store.retention.readers(groupId)).map((r) => [r.deviceId, r]));
      const rows = cursors.flatMap(({ deviceId, seq }) => {
        const reader = readers.get(deviceId);
        if (!reader) return [];
        const at = Math.min(seq, group.lastSeq, reader.leftSeq ?? Number.POSITIVE_INFINITY);
        return at > reader.cursor ? [{ deviceId, groupId, seq: at }] : [];
      });
      if (rows.length > 0) await store.cursors.advanceMany(rows);
    },

    async logPage(origin, groupId, after, limit = DEFAULT_PAGE) {
      const key = `${origin} ${groupId}`;
      const seen = followers.get(key);
      if (!seen || ctx.service.now() - seen > FOLLOWER_TTL_MS) {
        await hosted(groupId);
        if (!(await store.federation.followerServers(groupId)).includes(origin)) {
          throw forbidden("No device of the calling server is a member of that group.");
        }
        if (followers.size > 50_000) followers.clear();
        followers.set(key, ctx.service.now());
      }
      const page = await this.page(groupId, after, limit);
      if (!page) throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
      onServed?.(origin, groupId, page.upToSeq);
      return page;
    },

    async page(groupId, after, limit = DEFAULT_PAGE) {
      const group = await store.groups.find(groupId);
      if (!group) return undefined;
      const entries = await store.log.readAfter(groupId, after, { upToSeq: group.lastSeq, limit });
      const full = entries.length === limit;
      const upToSeq = full ? entries[entries.length - 1]!.seq : group.lastSeq;
      let epoch = group.epoch;
      if (full) {
        const commits = entries.filter((e) => e.kind === "commit");
        epoch =
          commits.length > 0 ? commits[commits.length - 1]!.epoch + 1 : entries[entries.length - 1]!.epoch;
      }
      const senders = entries.map((e) => e.senderDeviceId);
      const blobIds = await store.blobs.referencesOf(
        groupId,
        entries.filter((e) => e.kind === "application").map((e) => e.messageId),
      );
      const page = {
        groupId,
        upToSeq,
        epoch,
        lastSeq: group.lastSeq,
        entries: entries.map((e) => ({
          seq: e.seq,
          kind: e.kind,
          messageId: e.messageId,
          senderDeviceId: e.senderDeviceId,
          epoch: e.epoch,
          payload: e.payload,
          createdAt: e.createdAt,
          ...(blobIds.has(e.messageId) ? { blobIds: blobIds.get(e.messageId) } : {}),
        })),
      };
      // Memberships change only at commits and departures: without one, the follower's are current.
      const membershipChanged = after === 0 || entries.some((e) => e.kind !== "application");
      if (!membershipChanged) return { ...page, devices: await deviceRefs(senders) };
      const memberships = (await store.retention.readers(groupId))
        .filter((r) => r.joinedSeq <= upToSeq)
        .map((r) => ({
          deviceId: r.deviceId,
          joinedSeq: r.joinedSeq,
          leftSeq: r.leftSeq !== null && r.leftSeq <= upToSeq ? r.leftSeq : null,
        }));
      return {
        ...page,
        memberships,
        devices: await deviceRefs([...memberships.map((m) => m.deviceId), ...senders]),
        adminAccountIds: await store.groupState.listAdmins(groupId),
      };
    },
  };
}
