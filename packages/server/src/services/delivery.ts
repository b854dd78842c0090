import {
  type CommitBody,
  type CommitResponse,
  type GroupInfoResponse,
  type GroupMessageEvent,
  type GroupResponse,
  type LeaveGroupResponse,
  newId,
  type SendMessageBody,
  type SendMessageResponse,
  VollyError,
  type WelcomeEvent,
} from "@volly/protocol";
import { deviceChannel, groupChannel } from "../bus/bus.js";
import { StoreConflict } from "../store/store-conflict.js";
import type { CursorPosition, LogEntryRecord, Repositories, WelcomeRecord } from "../store/types.js";
import type { ServiceContext } from "./context.js";
import { toGroupMessageEvent, toWelcomeEvent } from "./events.js";
import { requireAdminFor, requireMember, requireMembership, validateMembershipChange } from "./membership.js";

/** Where a device's delivery of one group starts: entries with seq > afterSeq. */
export interface SyncPoint {
  groupId: string;
  /** max(durable cursor, joined_seq). */
  afterSeq: number;
}

/** The account of the device sending a message, as GROUP_MESSAGE names it. */
export interface MessageSender {
  accountId: string;
  handle: string;
}

/** A page of one group's log for one device. */
export interface GroupPage {
  /** false when the device has no membership (current or ended) in the group; `entries` is then empty. */
  readable: boolean;
  /**
   * Seq at which the device's membership ended (it reads nothing after it), or null while it is a
   * member. When set and the page is not full, the device has read everything it ever will.
   */
  leftSeq: number | null;
  entries: GroupMessageEvent[];
}

/**
 * The MLS delivery service (RFC 9420 §16.9 and §14 "Sequencing of State Changes"): one ordered log
 * per group, first commit per epoch wins, per-device Welcome inboxes and delivery cursors. Every
 * write is acknowledged only after its transaction commits; bus notifications follow the commit.
 */
export interface DeliveryService {
  /**
   * True when concurrent {@link DeliveryService.sendMessage} calls append in the order they were
   * made (the store's shared transactions run in call order): a caller keeping one sender's
   * messages in order need not wait for one to be stored before sending the next.
   */
  readonly sendsInCallOrder: boolean;
  /**
   * Creates a group at epoch 0 whose only member is `deviceId` (joined at seq 0) and whose only admin
   * is that device's account, then tells the device's live sessions (bus "group-joined") so they
   * follow the group at once. A group id equal to an account id is reserved for that account's own
   * devices (their account-sync conversation).
   * @throws VOLLY_E_GROUP_EXISTS (also for another account's reserved id)
   */
  createGroup(deviceId: string, groupId: string): Promise<GroupResponse>;
  /**
   * A group's epoch, last seq, current members and admin accounts (adminAccountIds).
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER (also once the device's membership ended)
   */
  getGroup(deviceId: string, groupId: string): Promise<GroupResponse>;
  /**
   * Appends a commit created in `body.epoch`. The epoch check is one conditional update, so of two
   * commits for the same epoch exactly one wins (RFC 9420 §14). In the same transaction: the log
   * entry, added members (joined at the commit's seq; a device whose membership ended is re-added),
   * removed members (their memberships end at the commit's seq, so they still receive this commit and
   * nothing after), the new epoch's ratchet tree (and GroupInfo, when the body carries one: served by
   * {@link DeliveryService.getGroupInfo}) and an inbox entry per added device for its Welcome (the
   * body's one `welcome`, stored once for all of them, or the legacy per-device `welcomes`). A retry of the commit
   * that already won returns its original result (unless the retention job pruned it meanwhile).
   * Adding or removing another account's devices needs the committer's account to be a group admin,
   * except removing a device whose membership already ended; an external commit replacing the
   * committer's own leaf (no adds, no removes) goes through here like any commit.
   *
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_STALE_EPOCH (details.currentEpoch),
   *   VOLLY_E_UNKNOWN_DEVICE (details.deviceId: an added device that does not exist),
   *   VOLLY_E_BAD_REQUEST (adding a member, removing a non-member, a device both added and removed,
   *   a welcome for a device not added or twice, a shared welcome without adds or with per-device ones),
   *   VOLLY_E_GROUP_FULL (more than LIMITS.maxGroupDevices members; details.limit, details.size),
   *   VOLLY_E_NOT_GROUP_ADMIN (details.deviceId: a device of another account, committer not admin);
   *   on any error nothing is written
   */
  commit(deviceId: string, groupId: string, body: CommitBody): Promise<CommitResponse>;
  /**
   * Appends an application message; resolves only once it is durable. Idempotent by messageId: the
   * same id with the same ciphertext returns the original seq with `duplicate: true`. Messages
   * arriving together share one commit (see Store.transactionShared). With `sender` (the
   * authenticated device's account), the bus notification carries the stored entry, so receivers
   * that are up to date dispatch it without reading the store.
   *
   * @param onOrdered called (at most once) as soon as the message's place in the log is fixed — its
   *   seq allocated and the group's row locked until it commits — so a later send of the same
   *   sender started from then on is appended after it, even on a store whose transactions run side
   *   by side; not called when the send fails before that
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_MESSAGE_ID_CONFLICT,
   *   VOLLY_E_BAD_REQUEST (an epoch the group has not reached, details.currentEpoch)
   */
  sendMessage(
    deviceId: string,
    groupId: string,
    body: SendMessageBody,
    sender?: MessageSender,
    onOrdered?: () => void,
  ): Promise<SendMessageResponse>;
  /**
   * Leaves a group. In one transaction: appends a "departure" entry (empty payload, a new message id,
   * the current epoch) sent by the device, and ends its membership at that entry's seq, so it
   * receives nothing after. The remaining members receive the departure as a GROUP_MESSAGE and one
   * of them commits the device's Remove (RFC 9420 §12.1.3).
   *
   * @returns the departure entry's seq
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER (also when it already left); nothing is
   *   written then
   */
  leave(deviceId: string, groupId: string): Promise<LeaveGroupResponse>;
  /**
   * The GroupInfo (with external_pub) and ratchet tree of the latest epoch a committer attached a
   * GroupInfo for, so a member whose state is lost or forked can rejoin with an external commit that
   * replaces its own leaf (RFC 9420 §12.4.3.2). Members only.
   *
   * @throws VOLLY_E_UNKNOWN_GROUP (also when no GroupInfo was stored), VOLLY_E_NOT_GROUP_MEMBER
   */
  getGroupInfo(deviceId: string, groupId: string): Promise<GroupInfoResponse>;
  /**
   * Makes `accountId` an admin of the group. The caller's account must be an admin and the target
   * account must have a current member device in the group. Granting an admin again changes nothing.
   *
   * @returns the group with its adminAccountIds
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_NOT_GROUP_ADMIN,
   *   VOLLY_E_BAD_REQUEST (details.accountId: no member device of that account)
   */
  grantAdmin(deviceId: string, groupId: string, accountId: string): Promise<GroupResponse>;
  /**
   * Where delivery starts for each group the device reads: its current memberships, and ended ones
   * whose last entries (up to left_seq) it has not acknowledged yet.
   */
  syncPoints(deviceId: string): Promise<SyncPoint[]>;
  /**
   * Up to `limit` log entries of one group with max(afterSeq, joined_seq) < seq ≤ left_seq (no upper
   * bound while a member), in seq order, without the device's own entries.
   */
  readGroup(deviceId: string, groupId: string, afterSeq: number, limit: number): Promise<GroupPage>;
  /** The device's unacknowledged Welcomes, oldest first. */
  pendingWelcomes(deviceId: string): Promise<WelcomeEvent[]>;
  /** One unacknowledged Welcome of the device, if any. */
  pendingWelcome(deviceId: string, welcomeId: string): Promise<WelcomeEvent | undefined>;
  /**
   * Everything the device has not acknowledged: pending Welcomes, then for every group (in group id
   * order) the entries after max(cursor, joined_seq) not sent by the device, in seq order.
   */
  backlog(deviceId: string): Promise<{ welcomes: WelcomeEvent[]; messages: GroupMessageEvent[] }>;
  /**
   * Records that the device durably processed these groups up to `seq` and these Welcomes. Cursors
   * only move forward, never past the group's last seq (nor past left_seq once a membership ended),
   * and only for groups the device has a membership in; unknown ids are ignored.
   */
  ack(
    deviceId: string,
    cursors: readonly { groupId: string; seq: number }[],
    welcomeIds: readonly string[],
  ): Promise<void>;
  /**
   * Advances many devices' cursors at once (monotonic), without the checks of {@link ack}: for the
   * gateway, which caps each ack to what it dispatched to that device — entries of groups the device
   * reads, within its membership — so every position is valid by construction. Shares a transaction
   * with concurrent writes.
   */
  advanceCursors(positions: readonly CursorPosition[]): Promise<void>;
}

/** Page size the backlog is read with. */
const BACKLOG_PAGE = 500;

/** Builds the {@link DeliveryService}. */
export function createDeliveryService({ store, bus, now, metrics }: ServiceContext): DeliveryService {
  async function groupResponse(tx: Repositories, groupId: string): Promise<GroupResponse> {
    const group = await tx.groups.find(groupId);
    if (!group) throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
    return {
      groupId,
      epoch: group.epoch,
      lastSeq: group.lastSeq,
      memberDeviceIds: await tx.groups.listMembers(groupId),
      adminAccountIds: await tx.groupState.listAdmins(groupId),
    };
  }

  const service: DeliveryService = {
    sendsInCallOrder: store.sharedInCallOrder,
    async createGroup(deviceId, groupId) {
      const exists = () => new VollyError("VOLLY_E_GROUP_EXISTS", undefined, { groupId });
      const created = await store
        .transaction(async (tx) => {
          if (await tx.groups.find(groupId)) throw exists();
          const creator = await tx.devices.findById(deviceId);
          if (!creator) throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId });
          // A group whose id is an account's id is that account's own-devices conversation (account
          // sync): only its devices may create it, so nobody can squat it.
          if (groupId !== creator.accountId && (await tx.accounts.findById(groupId))) throw exists();
          await tx.groups.insert({ id: groupId, epoch: 0, lastSeq: 0, createdAt: now() });
          await tx.groups.addMembers(groupId, [deviceId], 0);
          await tx.groupState.addAdmins(groupId, [creator.accountId]);
          return {
            groupId,
            epoch: 0,
            lastSeq: 0,
            memberDeviceIds: [deviceId],
            adminAccountIds: [creator.accountId],
          };
        })
        .catch((error: unknown) => {
          // Created concurrently by another request (another node, PostgreSQL): same answer.
          throw error instanceof StoreConflict ? exists() : error;
        });
      bus.publish(deviceChannel(deviceId), { type: "group-joined", deviceId, groupId, joinedSeq: 0 });
      return created;
    },

    async getGroup(deviceId, groupId) {
      await requireMember(store, deviceId, groupId);
      return groupResponse(store, groupId);
    },

    async commit(deviceId, groupId, body) {
      const createdAt = now();
      const result = await store.transaction(async (tx) => {
        await requireMember(tx, deviceId, groupId);
        const advanced = await tx.groups.advanceEpoch(groupId, body.epoch);
        if (!advanced) {
          const previous = await tx.log.findCommitAt(groupId, body.epoch);
          if (previous && previous.senderDeviceId === deviceId && previous.payload === body.commit) {
            return { response: { seq: previous.seq, epoch: body.epoch + 1 }, welcomes: [], fresh: false };
          }
          const current = await tx.groups.find(groupId);
          throw new VollyError("VOLLY_E_STALE_EPOCH", undefined, { currentEpoch: current?.epoch });
        }
        // The group's row is locked from here on; re-read what concurrent transactions may have changed.
        await requireMember(tx, deviceId, groupId);
        await validateMembershipChange(tx, groupId, body);
        await requireAdminFor(tx, deviceId, groupId, body);
        const seq = advanced.lastSeq;
        const epoch = advanced.epoch;
        await tx.log.append({
          groupId,
          seq,
          kind: "commit",
          messageId: newId(),
          senderDeviceId: deviceId,
          epoch: body.epoch,
          payload: body.commit,
          createdAt,
        });
        await tx.groups.endMemberships(groupId, body.removeDeviceIds, seq);
        await tx.groups.addMembers(groupId, body.addDeviceIds, seq);
        await tx.groups.putTree(groupId, epoch, body.ratchetTree);
        if (body.groupInfo !== undefined) await tx.groupState.putGroupInfo(groupId, epoch, body.groupInfo);
        const inboxEntry = (target: string) => ({
          id: newId(),
          deviceId: target,
          groupId,
          seq,
          epoch,
          senderDeviceId: deviceId,
          createdAt,
        });
        let welcomes: Omit<WelcomeRecord, "payload">[];
        if (body.welcome !== undefined) {
          // One Welcome for every added device (RFC 9420 §12.4.3.1), stored once.
          welcomes = body.addDeviceIds.map(inboxEntry);
          await tx.welcomes.insertShared(body.welcome, welcomes);
        } else {
          const own = (body.welcomes ?? []).map((w) => ({ ...inboxEntry(w.deviceId), payload: w.welcome }));
          await tx.welcomes.insertMany(own);
          welcomes = own;
        }
        return { response: { seq, epoch }, welcomes, fresh: true };
      });
      if (result.fresh) {
        metrics?.messageIn("commit");
        bus.publish(groupChannel(groupId), {
          type: "group-appended",
          groupId,
          seq: result.response.seq,
          kind: "commit",
        });
        for (const w of result.welcomes) {
          bus.publish(deviceChannel(w.deviceId), {
            type: "welcome",
            deviceId: w.deviceId,
            welcomeId: w.id,
            groupId,
          });
        }
      }
      return result.response;
    },

    async sendMessage(deviceId, groupId, body, sender, onOrdered) {
      const duplicateOf = (previous: LogEntryRecord) => {
        if (previous.kind === "application" && previous.payload === body.ciphertext) {
          return { seq: previous.seq, duplicate: true };
        }
        throw new VollyError("VOLLY_E_MESSAGE_ID_CONFLICT", undefined, { messageId: body.messageId });
      };
      let result: SendMessageResponse;
      let appended: LogEntryRecord | undefined;
      try {
        // Group commit: messages arriving together share one commit (one fsync on SQLite). Three
        // statements: allocating the seq first locks the group's row, so no commit removing this
        // device can land between the membership check and the append; a message id already
        // stored fails the append's unique (group, message id) constraint, which rolls the
        // allocation back and is answered below as a retry.
        result = await store.transactionShared(async (tx) => {
          const next = await tx.groups.nextSeq(groupId);
          if (!next) throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
          onOrdered?.();
          await requireMembership(tx, deviceId, groupId);
          if (body.epoch > next.epoch) {
            throw new VollyError("VOLLY_E_BAD_REQUEST", "The group has not reached that epoch.", {
              currentEpoch: next.epoch,
            });
          }
          const record = {
            groupId,
            seq: next.lastSeq,
            kind: "application" as const,
            messageId: body.messageId,
            senderDeviceId: deviceId,
            epoch: body.epoch,
            payload: body.ciphertext,
            createdAt: now(),
          };
          await tx.log.append(record);
          appended = record;
          return { seq: next.lastSeq, duplicate: false };
        });
      } catch (error) {
        // A retry (the id is stored already, or its original won a race on another node) lost the
        // unique (group, message id) constraint; its writes rolled back, so no seq was used.
        if (!(error instanceof StoreConflict)) throw error;
        const previous = await store.log.findByMessageId(groupId, body.messageId);
        if (!previous) throw error;
        return duplicateOf(previous);
      }
      if (!result.duplicate) {
        metrics?.messageIn("application");
        bus.publish(groupChannel(groupId), {
          type: "group-appended",
          groupId,
          seq: result.seq,
          kind: "application",
          ...(sender && appended
            ? {
                entry: toGroupMessageEvent({
                  ...appended,
                  senderAccountId: sender.accountId,
                  senderHandle: sender.handle,
                }),
              }
            : {}),
        });
      }
      return result;
    },

    async leave(deviceId, groupId) {
      const seq = await store.transaction(async (tx) => {
        await requireMember(tx, deviceId, groupId);
        const next = await tx.groups.nextSeq(groupId);
        if (!next) throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
        // The group's row is locked: a concurrent leave or removal may have ended the membership.
        await requireMember(tx, deviceId, groupId);
        await tx.log.append({
          groupId,
          seq: next.lastSeq,
          kind: "departure",
          messageId: newId(),
          senderDeviceId: deviceId,
          epoch: next.epoch,
          payload: "",
          createdAt: now(),
        });
        await tx.groups.endMemberships(groupId, [deviceId], next.lastSeq);
        return next.lastSeq;
      });
      metrics?.messageIn("departure");
      bus.publish(groupChannel(groupId), { type: "group-appended", groupId, seq, kind: "departure" });
      return { seq };
    },

    async getGroupInfo(deviceId, groupId) {
      await requireMember(store, deviceId, groupId);
      const latest = await store.groupState.findLatestGroupInfo(groupId);
      const ratchetTree = latest && (await store.groups.findTree(groupId, latest.epoch));
      if (!latest || ratchetTree === undefined) {
        throw new VollyError("VOLLY_E_UNKNOWN_GROUP", "No GroupInfo is stored for this group.", { groupId });
      }
      return { groupId, epoch: latest.epoch, groupInfo: latest.groupInfo, ratchetTree };
    },

    async grantAdmin(deviceId, groupId, accountId) {
      return store.transaction(async (tx) => {
        await requireMember(tx, deviceId, groupId);
        const caller = await tx.devices.findById(deviceId);
        if (!caller || !(await tx.groupState.isAdmin(groupId, caller.accountId))) {
          throw new VollyError("VOLLY_E_NOT_GROUP_ADMIN", undefined, { groupId });
        }
        const members = new Set(await tx.groups.listMembers(groupId));
        const devices = await tx.devices.listByAccount(accountId);
        if (!devices.some((d) => members.has(d.id))) {
          throw new VollyError("VOLLY_E_BAD_REQUEST", "The account has no member device in the group.", {
            accountId,
          });
        }
        await tx.groupState.addAdmins(groupId, [accountId]);
        return groupResponse(tx, groupId);
      });
    },

    async syncPoints(deviceId) {
      const [memberships, cursors] = await Promise.all([
        store.groups.listMemberships(deviceId),
        store.cursors.listForDevice(deviceId),
      ]);
      const points: SyncPoint[] = [];
      for (const m of memberships) {
        const afterSeq = Math.max(cursors.get(m.groupId) ?? 0, m.joinedSeq);
        if (m.leftSeq === null || afterSeq < m.leftSeq) points.push({ groupId: m.groupId, afterSeq });
      }
      return points;
    },

    async readGroup(deviceId, groupId, afterSeq, limit) {
      const membership = await store.groups.findMembership(groupId, deviceId);
      if (!membership) return { readable: false, leftSeq: null, entries: [] };
      const { joinedSeq, leftSeq } = membership;
      const after = Math.max(afterSeq, joinedSeq);
      if (leftSeq !== null && after >= leftSeq) return { readable: true, leftSeq, entries: [] };
      const entries = await store.log.readAfter(groupId, after, {
        excludeSender: deviceId,
        ...(leftSeq !== null ? { upToSeq: leftSeq } : {}),
        limit,
      });
      return { readable: true, leftSeq, entries: entries.map(toGroupMessageEvent) };
    },

    async pendingWelcomes(deviceId) {
      return (await store.welcomes.listPending(deviceId)).map(toWelcomeEvent);
    },

    async pendingWelcome(deviceId, welcomeId) {
      const welcome = await store.welcomes.findPending(deviceId, welcomeId);
      return welcome && toWelcomeEvent(welcome);
    },

    async backlog(deviceId) {
      const welcomes = await service.pendingWelcomes(deviceId);
      const messages: GroupMessageEvent[] = [];
      for (const point of await service.syncPoints(deviceId)) {
        let after = point.afterSeq;
        for (;;) {
          const page = await service.readGroup(deviceId, point.groupId, after, BACKLOG_PAGE);
          messages.push(...page.entries);
          const last = page.entries.at(-1);
          if (!last || page.entries.length < BACKLOG_PAGE) break;
          after = last.seq;
        }
      }
      return { welcomes, messages };
    },

    async advanceCursors(positions) {
      if (positions.length === 0) return;
      await store.transactionShared((tx) => tx.cursors.advanceMany(positions));
    },

    async ack(deviceId, cursors, welcomeIds) {
      const at = now();
      await store.transactionShared(async (tx) => {
        for (const { groupId, seq } of cursors) {
          const membership = await tx.groups.findMembership(groupId, deviceId);
          if (!membership) continue;
          const group = await tx.groups.find(groupId);
          if (!group) continue;
          const capped = Math.min(seq, group.lastSeq, membership.leftSeq ?? Number.POSITIVE_INFINITY);
          if (capped > 0) await tx.cursors.advance(deviceId, groupId, capped);
        }
        if (welcomeIds.length > 0) await tx.welcomes.ack(deviceId, welcomeIds, at);
      });
    },
  };
  return service;
}
