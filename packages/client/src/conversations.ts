import {
  addMembers,
  createGroup,
  decodeGroup,
  encodeGroup,
  generateKeyPackage,
  groupEpoch,
  groupMembers,
  isRemovedFromGroup,
  joinFromWelcome,
  type MlsGroup,
  ownLeafIndex,
  removeMembers,
  welcomeKeyPackageRefs,
} from "@volly/crypto";
import {
  type AccountEntry,
  type ClaimReason,
  type CommitBody,
  type CommitResponse,
  fromBase64Url,
  type GroupMessageEvent,
  type GroupMetaContent,
  isValidHandle,
  LIMITS,
  newId,
  toBase64Url,
  VollyError,
  type WelcomeEvent,
} from "@volly/protocol";
import { SELF_CONVERSATION_TITLE, selfConversationId } from "./account-sync/self-conversation.js";
import type { ClientContext } from "./context.js";
import { type ClaimTarget, Directory, type VerifiedKeyPackage } from "./directory.js";
import { groupKey, loadGroupState, putGroupState } from "./group-state.js";
import { KeyedQueue } from "./keyed-queue.js";
import { Listeners } from "./listeners.js";
import { Outbox } from "./outbox.js";
import type {
  ConversationMember,
  ConversationRecord,
  ConversationSummary,
  KeyPackageRecord,
  MessageRecord,
} from "./records.js";
import { attachGroupInfo, RECOVERY_NOTICE, rejoinByExternalCommit } from "./resync.js";
import type { VaultBatch } from "./vault.js";

/** How many times a commit is rebuilt after VOLLY_E_STALE_EPOCH before giving up. */
export const MAX_COMMIT_ATTEMPTS = 5;
/** How long a rejected committer waits for the gateway to deliver the winning commit (ms). */
export const CATCH_UP_TIMEOUT_MS = 15_000;
/** Longest group name (characters), as GroupMetaContent allows. */
export const MAX_GROUP_NAME_CHARS = 64;

/** The services {@link Conversations} shares with the rest of the SDK (created when not given). */
export interface ConversationsDeps {
  queue: KeyedQueue;
  directory: Directory;
  outbox: Outbox;
}

/** A commit built on the current group state, ready for the delivery service. */
interface PreparedCommit {
  newGroup: MlsGroup;
  body: CommitBody;
}

/** Builds a commit on `group`, or returns undefined when there is nothing (left) to commit. */
type PrepareCommit = (
  group: MlsGroup,
  conv: ConversationRecord,
  excludedRemovals: Set<string>,
) => Promise<PreparedCommit | undefined>;

/** A commit sent to the delivery service whose outcome is not known yet. Sealed as `pcommit:<id>`. */
interface PendingCommit {
  body: CommitBody;
  /** The state to adopt once the server accepted the commit (base64url of encodeGroup). */
  newGroup: string;
}

type Attempt =
  | { kind: "done"; conv: ConversationRecord }
  | { kind: "stale"; epoch: number | undefined }
  | { kind: "exclude"; deviceId: string };

/**
 * Conversations: each is an MLS group whose members are devices. Direct conversations (a 2-account
 * group of all both people's devices), group conversations (create, add, remove, rename, leave),
 * joining from Welcomes, and applying incoming commits and departures.
 *
 * Every operation on one conversation's group state runs in that conversation's queue, commits are
 * adopted only once the delivery service accepted them (RFC 9420 §14: one commit per epoch), and a
 * commit rejected as stale is rebuilt after the winning commit has been processed.
 */
export class Conversations {
  /**
   * Fires when a stored conversation changes: title, members, left, lastReadAt (never for the
   * account's hidden self conversation).
   */
  readonly changes = new Listeners<ConversationRecord>((c) => !c.self);
  /** Fires when a group gets a name: created or renamed here, or a group-meta message processed. */
  readonly named = new Listeners<ConversationRecord>((c) => !c.self);
  private readonly epochs = new Listeners<{ conversationId: string; epoch: number; left: boolean }>();
  private readonly queue: KeyedQueue;
  private readonly directory: Directory;
  private readonly outbox: Outbox;
  private readonly departuresRunning = new Set<string>();
  private readonly departuresAgain = new Set<string>();

  /**
   * @param ctx the open profile
   * @param deps shared queue, directory and outbox (VollyClient passes its own)
   */
  constructor(
    private readonly ctx: ClientContext,
    deps: Partial<ConversationsDeps> = {},
  ) {
    this.queue = deps.queue ?? new KeyedQueue();
    this.directory = deps.directory ?? new Directory(ctx);
    this.outbox = deps.outbox ?? new Outbox(ctx, this.queue, { notMember: (id) => this.markLeft(id) });
  }

  /** Every conversation of this profile, oldest first (not the hidden self conversation). */
  async list(): Promise<ConversationRecord[]> {
    const rows = await this.ctx.vault.listJson<ConversationRecord>("conv:");
    return rows
      .map(([, c]) => c)
      .filter((c) => !c.self)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** One conversation; throws VOLLY_E_UNKNOWN_CONVERSATION. */
  async get(id: string): Promise<ConversationRecord> {
    const conv = await this.ctx.vault.getJson<ConversationRecord>(`conv:${id}`);
    if (!conv) throw new VollyError("VOLLY_E_UNKNOWN_CONVERSATION", `No conversation ${id} in this profile.`);
    return conv;
  }

  /** The direct conversation with `handle`, if one exists. */
  async findDirect(handle: string): Promise<ConversationRecord | undefined> {
    const id = await this.ctx.vault.getJson<string>(`direct:${handle}`);
    return id ? this.ctx.vault.getJson<ConversationRecord>(`conv:${id}`) : undefined;
  }

  /** Loads a conversation's MLS group state; throws VOLLY_E_UNKNOWN_CONVERSATION. */
  async loadGroup(id: string): Promise<MlsGroup> {
    return loadGroupState(this.ctx.vault, id);
  }

  /**
   * Returns the direct conversation with `account`, creating it when there is none: claims one key
   * package per device of the peer and of this account's other devices, checks each is signed by
   * the key the directory lists for that device, creates the MLS group, and commits the Adds with
   * one Welcome (RFC 9420 §12.4.3.1). State is adopted only after the delivery service accepted.
   * `reason` tells the server why the peer's key packages are claimed: `{type: "invite", invite}`
   * after accepting their invite, else a first contact by handle (rate-limited more strictly).
   * Throws VOLLY_E_USAGE (own account), VOLLY_E_KEY_PACKAGE_FOREIGN, VOLLY_E_NO_KEY_PACKAGE,
   * VOLLY_E_RATE_LIMITED, VOLLY_E_SERVER_UNREACHABLE.
   */
  async openDirect(
    account: AccountEntry,
    reason: ClaimReason = { type: "first-contact" },
  ): Promise<ConversationRecord> {
    return this.queue.run(`direct:${account.handle}`, async () => {
      const existing = await this.findDirect(account.handle);
      if (existing) return existing;
      if (account.accountId === this.ctx.profile.accountId) {
        throw new VollyError("VOLLY_E_USAGE", "A direct conversation needs another account.");
      }
      await this.directory.remember(account);
      const member = memberOf(account);
      const keyPackages = await this.claimFor([account], reason);
      const conv: ConversationRecord = {
        id: newId(),
        kind: "direct",
        peerHandle: account.handle,
        title: nameOf(member),
        createdAt: Date.now(),
        lastSeq: 0,
        members: [member],
      };
      return this.createWithMembers(conv, keyPackages, (batch) =>
        batch.putJson(`direct:${account.handle}`, conv.id),
      );
    });
  }

  /**
   * Joins the group a Welcome invites this device to, using the private half of the key package it
   * names and the ratchet tree served out of band (RFC 9420 §12.4.3.1). Members are resolved from
   * the group's leaves (credential → `GET /v1/devices/:id`, cached). A group of exactly two
   * accounts starts as a direct conversation until a group-meta message names it. Throws
   * VOLLY_E_DECRYPT_FAILED (cause "missing-state") when no matching key package is held.
   */
  async acceptWelcome(event: WelcomeEvent): Promise<ConversationRecord> {
    return this.queue.run(event.groupId, async () => {
      const known = await this.ctx.vault.getJson<ConversationRecord>(`conv:${event.groupId}`);
      if (known && !known.left) return known;
      const refs = welcomeKeyPackageRefs(fromBase64Url(event.welcome));
      let record: KeyPackageRecord | undefined;
      for (const ref of refs) {
        record ??= await this.ctx.vault.getJson<KeyPackageRecord>(`kp:${ref}`);
      }
      if (!record) {
        throw new VollyError("VOLLY_E_DECRYPT_FAILED", "No key package for this welcome.", {
          cause: "missing-state",
        });
      }
      const group = await joinFromWelcome(
        this.ctx.suite,
        fromBase64Url(event.welcome),
        fromBase64Url(event.ratchetTree),
        {
          ref: record.ref,
          keyPackage: fromBase64Url(record.keyPackage),
          privateKeyPackage: fromBase64Url(record.privateKeyPackage),
        },
      );
      const members = await this.directory.membersOf(group);
      const peer = members.length === 1 ? members[0] : undefined;
      const self = members.length === 0 && event.groupId === selfConversationId(this.ctx.profile.accountId);
      const direct = !self && peer !== undefined && known?.kind !== "group";
      const conv: ConversationRecord = {
        id: event.groupId,
        kind: direct ? "direct" : "group",
        title: known?.kind === "group" ? known.title : peer ? nameOf(peer) : defaultTitle(members),
        createdAt: known?.createdAt ?? Date.now(),
        lastSeq: event.seq,
        members,
        ...(direct ? { peerHandle: peer.handle } : {}),
        ...(known?.lastReadAt !== undefined ? { lastReadAt: known.lastReadAt } : {}),
        ...(known?.readSeq !== undefined ? { readSeq: known.readSeq } : {}),
        ...(self ? { self: true, title: SELF_CONVERSATION_TITLE } : {}),
      };
      const batch = putGroupState(this.ctx.vault.batch(), event.groupId, group).putJson(
        `conv:${event.groupId}`,
        conv,
      );
      if (direct && !(await this.findDirect(peer.handle)))
        batch.putJson(`direct:${peer.handle}`, event.groupId);
      if (!record.lastResort) batch.delete(`kp:${record.ref}`);
      await batch.commit();
      this.changes.emit(conv);
      return conv;
    });
  }

  /**
   * Conversations with their last message (by sort key) and unread count (incoming messages with
   * `receivedAt` after `lastReadAt` and a seq above `readSeq`, counted among the newest 2,000),
   * most recent activity first.
   */
  async summaries(): Promise<ConversationSummary[]> {
    const out: Array<ConversationSummary & { activity: number }> = [];
    for (const conversation of await this.list()) {
      const since = conversation.lastReadAt ?? 0;
      let unread = 0;
      let lastMessage: MessageRecord | undefined;
      for (const limit of [20, 200, 2_000]) {
        const messages = await this.ctx.vault.listMessages<MessageRecord>(conversation.id, limit);
        lastMessage = messages.at(-1);
        const readSeq = conversation.readSeq ?? 0;
        unread = messages.filter(
          (m) => m.direction === "in" && m.receivedAt > since && !(m.seq !== undefined && m.seq <= readSeq),
        ).length;
        const oldest = messages[0];
        if (messages.length < limit || (oldest && oldest.receivedAt <= since)) break;
      }
      const activity = Math.max(conversation.createdAt, lastMessage?.receivedAt ?? 0);
      out.push({ conversation, unread, activity, ...(lastMessage ? { lastMessage } : {}) });
    }
    return out
      .sort((a, b) => b.activity - a.activity)
      .map(({ activity: _, ...summary }) => summary as ConversationSummary);
  }

  /**
   * Creates a group conversation named `name` with every device of the given accounts and this
   * account's other devices: one commit of Adds with one Welcome (RFC 9420 §12.1.1, §12.4.3.1),
   * then an encrypted group-meta message so every member learns the name. Throws VOLLY_E_USAGE
   * (empty or too long name), VOLLY_E_HANDLE_INVALID, VOLLY_E_UNKNOWN_HANDLE,
   * VOLLY_E_GROUP_FULL (more than LIMITS.maxGroupDevices devices in all, before any key package is
   * claimed), VOLLY_E_KEY_PACKAGE_FOREIGN, VOLLY_E_NO_KEY_PACKAGE, VOLLY_E_SERVER_UNREACHABLE.
   */
  async createGroup(name: string, handles: string[]): Promise<ConversationRecord> {
    const title = validName(name);
    const accounts = await this.lookupAll(handles);
    const id = newId();
    const keyPackages = await this.claimFor(accounts, { type: "group-add", groupId: id });
    const conv: ConversationRecord = {
      id,
      kind: "group",
      title,
      createdAt: Date.now(),
      lastSeq: 0,
      members: accounts.map(memberOf).sort((a, b) => a.handle.localeCompare(b.handle)),
    };
    const created = await this.createWithMembers(conv, keyPackages);
    await this.sendGroupMeta(created.id, title);
    this.named.emit(created);
    return created;
  }

  /**
   * Creates the account's own sync conversation (see `account-sync/`) under `id` with this
   * account's other devices that have key packages (one commit of Adds with one Welcome, RFC 9420
   * §12.1.1). The record is marked `self` and never listed.
   *
   * @param id the deterministic self-conversation id of this account
   * @throws VOLLY_E_GROUP_EXISTS (another device created it), VOLLY_E_KEY_PACKAGE_FOREIGN,
   *   VOLLY_E_SERVER_UNREACHABLE
   */
  async createSelf(id: string): Promise<ConversationRecord> {
    const keyPackages = await this.claimFor([], { type: "group-add", groupId: id });
    const conv: ConversationRecord = {
      id,
      kind: "group",
      title: SELF_CONVERSATION_TITLE,
      createdAt: Date.now(),
      lastSeq: 0,
      members: [],
      self: true,
    };
    return this.createWithMembers(conv, keyPackages);
  }

  /**
   * Adds every device of these accounts to a group in one commit (RFC 9420 §12.1.1) and re-sends
   * the group's name so the new members learn it. Accounts already in the group are skipped.
   * Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_USAGE (a direct conversation),
   * VOLLY_E_NOT_GROUP_MEMBER (left), VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_GROUP_FULL (the group would
   * exceed LIMITS.maxGroupDevices devices; checked before any key package is claimed, and again by
   * the server), VOLLY_E_KEY_PACKAGE_FOREIGN, VOLLY_E_NO_KEY_PACKAGE, VOLLY_E_STALE_EPOCH (still
   * stale after MAX_COMMIT_ATTEMPTS), VOLLY_E_SERVER_UNREACHABLE.
   */
  async addMembers(conversationId: string, handles: string[]): Promise<ConversationRecord> {
    const conv = await this.requireGroup(conversationId);
    const present = new Set(
      groupMembers(await this.loadGroup(conversationId)).map((m) => m.credential.deviceId),
    );
    const accounts = (await this.lookupAll(handles)).filter((a) =>
      a.devices.some((d) => !present.has(d.deviceId)),
    );
    if (accounts.length === 0) return conv;
    ensureRoom(
      present.size,
      accounts.flatMap((a) => a.devices).filter((d) => !present.has(d.deviceId)).length,
    );
    const claimed = await this.directory.claimVerified(
      accounts.map((account) => ({ account, required: true })),
      present,
      { type: "group-add", groupId: conversationId },
    );
    const updated = await this.commitWithRetry(conversationId, async (group) => {
      const inGroup = new Set(groupMembers(group).map((m) => m.credential.deviceId));
      const use = claimed.filter((k) => !inGroup.has(k.deviceId));
      if (use.length === 0) return undefined;
      return this.prepareAdd(group, use);
    });
    await this.sendGroupMeta(conversationId, updated.title);
    return updated;
  }

  /**
   * Adds devices of this account (e.g. one just linked) to a conversation, direct or group, in one
   * commit of Add proposals with a Welcome (RFC 9420 §12.1.1, §12.4.3.1): claims a key package per
   * device and checks it against the keys the directory lists for this account. Devices not listed
   * for this account, or already in the group, are skipped; a group's name is re-sent so the new
   * devices learn it. Nothing happens for a conversation this device has left.
   *
   * @param deviceIds ids of this account's devices to add
   * @throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_GROUP_FULL, VOLLY_E_NO_KEY_PACKAGE,
   *   VOLLY_E_KEY_PACKAGE_FOREIGN, VOLLY_E_STALE_EPOCH (still stale after MAX_COMMIT_ATTEMPTS),
   *   VOLLY_E_SERVER_UNREACHABLE
   */
  async addDevices(conversationId: string, deviceIds: readonly string[]): Promise<ConversationRecord> {
    const conv = await this.get(conversationId);
    if (conv.left) return conv;
    const present = new Set(
      groupMembers(await this.loadGroup(conversationId)).map((m) => m.credential.deviceId),
    );
    const own = await this.directory.account(this.ctx.profile.handle);
    const devices = own.devices.filter((d) => deviceIds.includes(d.deviceId) && !present.has(d.deviceId));
    if (devices.length === 0) return conv;
    ensureRoom(present.size, devices.length);
    const claimed = await this.directory.claimVerified(
      [{ account: { ...own, devices }, required: true }],
      present,
      { type: "conversation", groupId: conversationId },
    );
    const updated = await this.commitWithRetry(conversationId, async (group) => {
      const inGroup = new Set(groupMembers(group).map((m) => m.credential.deviceId));
      const use = claimed.filter((k) => !inGroup.has(k.deviceId));
      return use.length === 0 ? undefined : this.prepareAdd(group, use);
    });
    if (updated.kind === "group" && !updated.self) await this.sendGroupMeta(conversationId, updated.title);
    return updated;
  }

  /**
   * Removes every device of `handle` from a group in one commit of Remove proposals
   * (RFC 9420 §12.1.3); the removed devices can no longer decrypt anything sent afterwards. Throws
   * VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_USAGE (a direct conversation, or this account: use
   * {@link leave}), VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_STALE_EPOCH,
   * VOLLY_E_SERVER_UNREACHABLE.
   */
  async removeMember(conversationId: string, handle: string): Promise<ConversationRecord> {
    const conv = await this.requireGroup(conversationId);
    const bare = handle.replace(/^@/, "");
    if (bare === this.ctx.profile.handle) {
      throw new VollyError("VOLLY_E_USAGE", "To remove yourself, leave the conversation.");
    }
    const accountId =
      conv.members?.find((m) => m.handle === bare)?.accountId ??
      (await this.directory.account(bare)).accountId;
    return this.commitWithRetry(conversationId, async (group, _conv, excluded) => {
      const leaves = groupMembers(group).filter((m) => m.credential.accountId === accountId);
      if (leaves.length === 0) return undefined;
      const removal = await removeMembers(
        this.ctx.suite,
        group,
        leaves.map((l) => l.leafIndex),
      );
      return {
        newGroup: removal.newGroup,
        body: {
          epoch: removal.epoch,
          commit: toBase64Url(removal.commit),
          addDeviceIds: [],
          removeDeviceIds: removal.removed.map((m) => m.credential.deviceId).filter((d) => !excluded.has(d)),
          welcomes: [],
          ratchetTree: toBase64Url(removal.ratchetTree),
        },
      };
    });
  }

  /**
   * Renames a group: an encrypted group-meta message (the server never sees the name). Throws
   * VOLLY_E_USAGE (bad name or a direct conversation), VOLLY_E_UNKNOWN_CONVERSATION,
   * VOLLY_E_NOT_GROUP_MEMBER.
   */
  async rename(conversationId: string, name: string): Promise<ConversationRecord> {
    const title = validName(name);
    await this.requireGroup(conversationId);
    const updated = await this.queue.run(conversationId, async () => {
      await this.outbox.addLocked(conversationId, groupMeta(title));
      const conv = { ...(await this.get(conversationId)), title };
      await this.ctx.vault.batch().putJson(`conv:${conversationId}`, conv).commit();
      return conv;
    });
    this.changes.emit(updated);
    this.named.emit(updated);
    await this.outbox.flush().catch(() => undefined);
    return updated;
  }

  /**
   * Leaves a group (POST /v1/groups/:id/leave): the server stops delivering it to this device at
   * once and a departure entry asks the remaining member with the lowest leaf index to commit this
   * device's Remove (RFC 9420 §12.1.3). The conversation stays as read-only history (`left`).
   * Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_USAGE (a direct conversation),
   * VOLLY_E_SERVER_UNREACHABLE.
   */
  async leave(conversationId: string): Promise<void> {
    const conv = await this.get(conversationId);
    if (conv.kind !== "group") throw new VollyError("VOLLY_E_USAGE", "Only group conversations can be left.");
    if (conv.left) return;
    try {
      await this.ctx.api.call("leaveGroup", {
        token: await this.ctx.auth.getToken(),
        params: { groupId: conversationId },
      });
    } catch (err) {
      if (!(err instanceof VollyError && err.code === "VOLLY_E_NOT_GROUP_MEMBER")) throw err;
    }
    await this.markLeft(conversationId);
  }

  /**
   * Marks a conversation left (this device left or was removed): no more sending, and its group
   * state is erased (the history stays).
   */
  async markLeft(conversationId: string): Promise<void> {
    await this.queue.run(conversationId, () => this.markLeftLocked(conversationId));
  }

  // ---- used by Messaging and Sync inside the conversation's queue ----

  /**
   * Resolves a commit of this device whose outcome is unknown (the server was unreachable): resends
   * the same bytes (the delivery service returns the original result for a retry of the winner)
   * and adopts its state if accepted, drops it if another commit won. Call inside the
   * conversation's queue before using its group state. Throws VOLLY_E_SERVER_UNREACHABLE.
   */
  async settleLocked(conversationId: string): Promise<void> {
    if (!(await this.ctx.vault.store.get(`pcommit:${conversationId}`))) return;
    const pending = await this.ctx.vault.getJson<PendingCommit>(`pcommit:${conversationId}`);
    if (!pending) return;
    try {
      await this.postCommit(conversationId, pending.body);
    } catch (err) {
      if (err instanceof VollyError && isTransient(err)) throw err;
      await this.ctx.vault.batch().delete(`pcommit:${conversationId}`).commit();
      if (err instanceof VollyError && err.code === "VOLLY_E_NOT_GROUP_MEMBER") {
        await this.markLeftLocked(conversationId);
      }
      return;
    }
    await this.adoptLocked(await this.get(conversationId), pending);
  }

  /**
   * Applies an incoming commit processed from the log (RFC 9420 §12.4.2): saves the new state with
   * the advanced conversation, refreshes the members, and marks the conversation left when the
   * commit removed this device.
   */
  async applyCommitLocked(advanced: ConversationRecord, newGroup: MlsGroup): Promise<ConversationRecord> {
    if (isRemovedFromGroup(newGroup)) {
      await this.ctx.vault.batch().putJson(`conv:${advanced.id}`, advanced).commit();
      return this.markLeftLocked(advanced.id);
    }
    const members = await this.directory.membersOf(newGroup, advanced.members);
    const conv = this.withMembers(advanced, members);
    const batch = putGroupState(this.ctx.vault.batch(), conv.id, newGroup).putJson(`conv:${conv.id}`, conv);
    const departed = await this.pruneDepartures(conv.id, newGroup, batch);
    await batch.commit();
    this.epochs.emit({ conversationId: conv.id, epoch: groupEpoch(newGroup), left: false });
    this.changes.emit(conv);
    if (departed.length > 0) this.scheduleDepartures(conv.id);
    return conv;
  }

  /**
   * Records a departure entry (a member device left, RFC 9420 §12.1.3 Remove still to commit) and
   * starts the Remove commit in the background if this device is the remaining member with the
   * lowest leaf index. Never counted as undecryptable.
   */
  async handleDepartureLocked(advanced: ConversationRecord, event: GroupMessageEvent): Promise<void> {
    const departed = await this.departures(advanced.id);
    if (!departed.includes(event.senderDeviceId)) departed.push(event.senderDeviceId);
    await this.ctx.vault
      .batch()
      .putJson(`conv:${advanced.id}`, advanced)
      .putJson(`dep:${advanced.id}`, departed)
      .commit();
    this.scheduleDepartures(advanced.id);
  }

  /**
   * Applies a group-meta message (a name for the group): renames the conversation, and turns a
   * conversation that started as direct (a 2-account group joined by Welcome) into a group.
   * Stages the writes in `batch` and returns the updated record.
   */
  async renameLocked(
    advanced: ConversationRecord,
    name: string,
    batch: VaultBatch,
  ): Promise<ConversationRecord> {
    const conv: ConversationRecord = { ...advanced, kind: "group", title: name };
    if (advanced.kind === "direct" && advanced.peerHandle) {
      delete conv.peerHandle;
      if ((await this.ctx.vault.getJson<string>(`direct:${advanced.peerHandle}`)) === advanced.id) {
        batch.delete(`direct:${advanced.peerHandle}`);
      }
    }
    batch.putJson(`conv:${conv.id}`, conv);
    return conv;
  }

  /**
   * Background work after every SYNCED: resolves commits whose outcome is unknown and resumes
   * departure Removes. Never throws.
   */
  async resume(): Promise<void> {
    for (const [key] of await this.ctx.vault.store.list("pcommit:")) {
      const id = key.slice("pcommit:".length);
      await this.queue.run(id, () => this.settleLocked(id)).catch(() => undefined);
    }
    for (const [key] of await this.ctx.vault.store.list("dep:")) this.scheduleDepartures(key.slice(4));
  }

  /**
   * Rejoins the conversation's group by external commit, replacing this device's own leaf (RFC 9420
   * §12.4.3.2; see `resync.ts`), because its state is lost or forked. Saves the new state with
   * `advanced`, sets the notice "Messages may have been missed" (with `noticeAt`, so a UI can place
   * it in the timeline), counts the recovery and emits `changes`. Call inside the conversation's
   * queue.
   *
   * @throws whatever {@link rejoinByExternalCommit} throws; nothing is stored then
   */
  async recoverLocked(advanced: ConversationRecord): Promise<ConversationRecord> {
    const { newGroup } = await rejoinByExternalCommit(this.ctx, advanced.id);
    const noticed = {
      ...advanced,
      notice: RECOVERY_NOTICE,
      noticeAt: Date.now(),
      recoveries: (advanced.recoveries ?? 0) + 1,
    };
    return this.applyCommitLocked(noticed, newGroup);
  }

  /** Clears a conversation's notice once the user has seen it (emits `changes`). */
  async clearNotice(conversationId: string): Promise<void> {
    await this.queue.run(conversationId, async () => {
      const conv = await this.get(conversationId);
      if (conv.notice === undefined) return;
      const { notice: _shown, noticeAt: _at, ...cleared } = conv;
      await this.ctx.vault.batch().putJson(`conv:${conv.id}`, cleared).commit();
      this.changes.emit(cleared);
    });
  }

  /**
   * The accounts allowed to add and remove other accounts' devices in the conversation's group, as
   * the delivery service reports them (GroupResponse.adminAccountIds; the creator is the first).
   * Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_SERVER_UNREACHABLE.
   */
  async admins(conversationId: string): Promise<string[]> {
    await this.get(conversationId);
    const group = await this.ctx.api.call("getGroup", {
      token: await this.ctx.auth.getToken(),
      params: { groupId: conversationId },
    });
    return group.adminAccountIds ?? [];
  }

  /**
   * Makes the account of `handle` an admin of the conversation's group (only admins may). Returns the
   * admin account ids afterwards. Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_UNKNOWN_HANDLE,
   * VOLLY_E_NOT_GROUP_ADMIN, VOLLY_E_BAD_REQUEST (the account has no device in the group),
   * VOLLY_E_SERVER_UNREACHABLE.
   */
  async grantAdmin(conversationId: string, handle: string): Promise<string[]> {
    await this.get(conversationId);
    const name = handle.trim().replace(/^@/, "");
    if (!isValidHandle(name)) throw new VollyError("VOLLY_E_HANDLE_INVALID", undefined, { handle: name });
    const account = await this.directory.account(name);
    const group = await this.ctx.api.call("grantAdmin", {
      token: await this.ctx.auth.getToken(),
      params: { groupId: conversationId },
      body: { accountId: account.accountId },
    });
    return group.adminAccountIds ?? [];
  }

  // ---- internals ----

  private async requireGroup(conversationId: string): Promise<ConversationRecord> {
    const conv = await this.get(conversationId);
    if (conv.kind !== "group") {
      throw new VollyError("VOLLY_E_USAGE", "This is a direct conversation; create a group instead.");
    }
    if (conv.left) throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this group.");
    return conv;
  }

  private async lookupAll(handles: string[]): Promise<AccountEntry[]> {
    const wanted = [...new Set(handles.map((h) => h.trim().replace(/^@/, "")))].filter(
      (h) => h !== this.ctx.profile.handle,
    );
    for (const h of wanted) {
      if (!isValidHandle(h)) throw new VollyError("VOLLY_E_HANDLE_INVALID", undefined, { handle: h });
    }
    return Promise.all(wanted.map((h) => this.directory.account(h)));
  }

  /**
   * Claims verified key packages for every device of `accounts` and this account's other devices,
   * for a new group of this device and them (VOLLY_E_GROUP_FULL, before claiming, when they are too
   * many).
   */
  private async claimFor(accounts: AccountEntry[], reason: ClaimReason): Promise<VerifiedKeyPackage[]> {
    const targets: ClaimTarget[] = accounts.map((account) => ({ account, required: true }));
    const own = await this.directory.account(this.ctx.profile.handle).catch(() => undefined);
    if (own) targets.push({ account: own, required: false });
    const skip = new Set([this.ctx.profile.deviceId]);
    ensureRoom(1, targets.flatMap((t) => t.account.devices).filter((d) => !skip.has(d.deviceId)).length);
    return this.directory.claimVerified(targets, skip, reason);
  }

  /**
   * Creates the MLS group (this device at leaf 0) and the server group, saves the conversation at
   * epoch 0, then commits the Adds. If the commit is refused for good, the conversation is erased.
   */
  private async createWithMembers(
    conv: ConversationRecord,
    keyPackages: VerifiedKeyPackage[],
    extra?: (batch: VaultBatch) => void,
  ): Promise<ConversationRecord> {
    const own = await generateKeyPackage(this.ctx.suite, this.ctx.identity, {
      accountId: this.ctx.profile.accountId,
      deviceId: this.ctx.profile.deviceId,
    });
    const group = await createGroup(this.ctx.suite, conv.id, own);
    await this.ctx.api.call("createGroup", {
      token: await this.ctx.auth.getToken(),
      body: { groupId: conv.id },
    });
    const batch = putGroupState(this.ctx.vault.batch(), conv.id, group).putJson(`conv:${conv.id}`, conv);
    extra?.(batch);
    await batch.commit();
    if (keyPackages.length === 0) return conv;
    try {
      return await this.commitWithRetry(conv.id, async (g) => this.prepareAdd(g, keyPackages), conv.members);
    } catch (err) {
      if (!(err instanceof VollyError && isTransient(err))) {
        const erase = this.ctx.vault
          .batch()
          .delete(`conv:${conv.id}`)
          .delete(groupKey(conv.id))
          .delete(`pcommit:${conv.id}`);
        if (conv.kind === "direct" && conv.peerHandle) erase.delete(`direct:${conv.peerHandle}`);
        await erase.commit();
      }
      throw err;
    }
  }

  private async prepareAdd(group: MlsGroup, keyPackages: VerifiedKeyPackage[]): Promise<PreparedCommit> {
    const added = await addMembers(
      this.ctx.suite,
      group,
      keyPackages.map((k) => k.keyPackage),
    );
    return {
      newGroup: added.newGroup,
      body: {
        epoch: added.epoch,
        commit: toBase64Url(added.commit),
        addDeviceIds: keyPackages.map((k) => k.deviceId),
        removeDeviceIds: [],
        // One Welcome for all the added devices, sent and stored once (it grows with their number).
        welcome: toBase64Url(added.welcome),
        ratchetTree: toBase64Url(added.ratchetTree),
      },
    };
  }

  /**
   * Builds a commit on the current state and sends it; adopts the new state only once the delivery
   * service accepted it. On VOLLY_E_STALE_EPOCH (another commit won the epoch) waits until the
   * gateway delivered and this device processed the winning commit, then rebuilds — at most
   * MAX_COMMIT_ATTEMPTS times. When the server cannot be reached the commit is kept and resolved
   * later ({@link settleLocked}); the error is rethrown.
   */
  private async commitWithRetry(
    conversationId: string,
    prepare: PrepareCommit,
    knownMembers?: ConversationMember[],
  ): Promise<ConversationRecord> {
    const excluded = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.queue.run(conversationId, async (): Promise<Attempt> => {
        await this.settleLocked(conversationId);
        const conv = await this.get(conversationId);
        if (conv.left) throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this group.");
        const group = await this.loadGroup(conversationId);
        const prepared = await prepare(group, conv, excluded);
        if (!prepared) return { kind: "done", conv };
        await attachGroupInfo(this.ctx, prepared);
        const pending: PendingCommit = {
          body: prepared.body,
          newGroup: toBase64Url(encodeGroup(prepared.newGroup)),
        };
        await this.ctx.vault.batch().putJson(`pcommit:${conversationId}`, pending).commit();
        try {
          await this.postCommit(conversationId, prepared.body);
        } catch (err) {
          if (err instanceof VollyError && isTransient(err)) throw err;
          await this.ctx.vault.batch().delete(`pcommit:${conversationId}`).commit();
          if (!(err instanceof VollyError)) throw err;
          if (err.code === "VOLLY_E_STALE_EPOCH") {
            const epoch = err.details?.currentEpoch;
            return { kind: "stale", epoch: typeof epoch === "number" ? epoch : undefined };
          }
          const deviceId = err.details?.deviceId;
          if (
            err.code === "VOLLY_E_BAD_REQUEST" &&
            typeof deviceId === "string" &&
            prepared.body.removeDeviceIds.includes(deviceId)
          ) {
            return { kind: "exclude", deviceId };
          }
          if (err.code === "VOLLY_E_NOT_GROUP_MEMBER") await this.markLeftLocked(conversationId);
          throw err;
        }
        return { kind: "done", conv: await this.adoptLocked(conv, pending, knownMembers) };
      });
      if (outcome.kind === "done") return outcome.conv;
      if (attempt >= MAX_COMMIT_ATTEMPTS) {
        throw new VollyError("VOLLY_E_STALE_EPOCH", "Other members kept committing; try again.");
      }
      if (outcome.kind === "exclude") excluded.add(outcome.deviceId);
      else await this.waitForEpoch(conversationId, outcome.epoch);
    }
  }

  /** Adopts an accepted commit's state (inside the queue) and refreshes the members. */
  private async adoptLocked(
    conv: ConversationRecord,
    pending: PendingCommit,
    knownMembers?: ConversationMember[],
  ): Promise<ConversationRecord> {
    const group = decodeGroup(fromBase64Url(pending.newGroup));
    const members = await this.directory.membersOf(group, [...(knownMembers ?? []), ...(conv.members ?? [])]);
    const updated = this.withMembers(conv, members);
    const batch = this.ctx.vault
      .batch()
      .putJson(groupKey(conv.id), pending.newGroup)
      .delete(`pcommit:${conv.id}`)
      .putJson(`conv:${conv.id}`, updated);
    await this.pruneDepartures(conv.id, group, batch);
    await batch.commit();
    this.epochs.emit({ conversationId: conv.id, epoch: groupEpoch(group), left: false });
    this.changes.emit(updated);
    return updated;
  }

  private withMembers(conv: ConversationRecord, members: ConversationMember[]): ConversationRecord {
    const updated: ConversationRecord = { ...conv, members };
    const peer = members[0];
    if (conv.kind === "direct" && peer && members.length === 1) updated.title = nameOf(peer);
    return updated;
  }

  private async postCommit(conversationId: string, body: CommitBody): Promise<CommitResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.ctx.api.call("commit", {
          token: await this.ctx.auth.getToken(),
          params: { groupId: conversationId },
          body,
        });
      } catch (err) {
        if (err instanceof VollyError && err.code === "VOLLY_E_NOT_AUTHENTICATED" && attempt === 0) {
          this.ctx.auth.invalidate();
          continue;
        }
        throw err;
      }
    }
  }

  /** Resolves once this device's state of the group reached `epoch` (or it left); else STALE. */
  private waitForEpoch(conversationId: string, epoch: number | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      let target = epoch;
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(() => {
        off();
        reject(new VollyError("VOLLY_E_STALE_EPOCH", "Could not catch up with the group's commits in time."));
      }, CATCH_UP_TIMEOUT_MS);
      const off = this.epochs.add((e) => {
        if (e.conversationId !== conversationId) return;
        if (e.left || (target !== undefined && e.epoch >= target)) done();
      });
      this.loadGroup(conversationId).then(
        (g) => {
          target ??= groupEpoch(g) + 1;
          if (groupEpoch(g) >= target) done();
        },
        () => done(),
      );
    });
  }

  private async markLeftLocked(conversationId: string): Promise<ConversationRecord> {
    const conv = await this.get(conversationId);
    const updated: ConversationRecord = { ...conv, left: true };
    await this.ctx.vault
      .batch()
      .putJson(`conv:${conversationId}`, updated)
      .delete(groupKey(conversationId))
      .delete(`pcommit:${conversationId}`)
      .delete(`dep:${conversationId}`)
      .commit();
    this.epochs.emit({ conversationId, epoch: -1, left: true });
    if (!conv.left) this.changes.emit(updated);
    return updated;
  }

  private async departures(conversationId: string): Promise<string[]> {
    return (await this.ctx.vault.getJson<string[]>(`dep:${conversationId}`)) ?? [];
  }

  /** Drops departed devices that are no longer in the group; returns the ones still to remove. */
  private async pruneDepartures(
    conversationId: string,
    group: MlsGroup,
    batch: VaultBatch,
  ): Promise<string[]> {
    const departed = await this.departures(conversationId);
    if (departed.length === 0) return [];
    const inGroup = new Set(groupMembers(group).map((m) => m.credential.deviceId));
    const still = departed.filter((d) => inGroup.has(d));
    if (still.length === 0) batch.delete(`dep:${conversationId}`);
    else if (still.length !== departed.length) batch.putJson(`dep:${conversationId}`, still);
    return still;
  }

  /** Runs the departure Remove commit in the background (one at a time per conversation). */
  private scheduleDepartures(conversationId: string): void {
    if (this.departuresRunning.has(conversationId)) {
      this.departuresAgain.add(conversationId);
      return;
    }
    this.departuresRunning.add(conversationId);
    void (async () => {
      try {
        do {
          this.departuresAgain.delete(conversationId);
          await this.commitWithRetry(conversationId, (group, _conv, excluded) =>
            this.prepareDepartureRemoval(conversationId, group, excluded),
          );
        } while (this.departuresAgain.has(conversationId));
      } catch {
        // retried on the next departure, commit or SYNCED
      } finally {
        this.departuresRunning.delete(conversationId);
      }
    })();
  }

  /**
   * The Remove commit for departed devices (RFC 9420 §12.1.3), built only by the remaining member
   * with the lowest leaf index; a race with another committer ends with VOLLY_E_STALE_EPOCH, and
   * after processing the winner there is nothing left to remove.
   */
  private async prepareDepartureRemoval(
    conversationId: string,
    group: MlsGroup,
    excluded: Set<string>,
  ): Promise<PreparedCommit | undefined> {
    const departed = await this.departures(conversationId);
    const leaves = groupMembers(group);
    const gone = leaves.filter((l) => departed.includes(l.credential.deviceId));
    if (gone.length === 0) {
      if (departed.length > 0) await this.ctx.vault.batch().delete(`dep:${conversationId}`).commit();
      return undefined;
    }
    const remaining = leaves.filter((l) => !departed.includes(l.credential.deviceId));
    const lowest = Math.min(...remaining.map((l) => l.leafIndex));
    if (lowest !== ownLeafIndex(group)) return undefined;
    const removal = await removeMembers(
      this.ctx.suite,
      group,
      gone.map((l) => l.leafIndex),
    );
    return {
      newGroup: removal.newGroup,
      body: {
        epoch: removal.epoch,
        commit: toBase64Url(removal.commit),
        addDeviceIds: [],
        // The delivery service accepts devices whose membership ended at their departure.
        removeDeviceIds: gone.map((l) => l.credential.deviceId).filter((d) => !excluded.has(d)),
        welcomes: [],
        ratchetTree: toBase64Url(removal.ratchetTree),
      },
    };
  }

  private async sendGroupMeta(conversationId: string, name: string): Promise<void> {
    await this.outbox.add(conversationId, groupMeta(name));
    await this.outbox.flush().catch(() => undefined);
  }
}

function isTransient(err: VollyError): boolean {
  return (
    err.code === "VOLLY_E_SERVER_UNREACHABLE" ||
    err.code === "VOLLY_E_INTERNAL" ||
    err.code === "VOLLY_E_RATE_LIMITED" ||
    err.code === "VOLLY_E_SHUTTING_DOWN" ||
    err.code === "VOLLY_E_NOT_AUTHENTICATED"
  );
}

function groupMeta(name: string): GroupMetaContent {
  return { v: 1, type: "group-meta", id: newId(), name, sentAt: Date.now() };
}

function validName(name: string): string {
  const title = typeof name === "string" ? name.trim() : "";
  if (title.length === 0 || title.length > MAX_GROUP_NAME_CHARS) {
    throw new VollyError("VOLLY_E_USAGE", `A group name is 1–${MAX_GROUP_NAME_CHARS} characters.`);
  }
  return title;
}

function memberOf(account: AccountEntry): ConversationMember {
  return {
    accountId: account.accountId,
    handle: account.handle,
    ...(account.displayName !== undefined ? { displayName: account.displayName } : {}),
  };
}

/** What the UI calls a member: the display name when known, else the handle. */
function nameOf(member: ConversationMember): string {
  return member.displayName ?? member.handle;
}

function defaultTitle(members: ConversationMember[]): string {
  if (members.length === 0) return "group";
  const names = members.slice(0, 3).map(nameOf).join(", ");
  return members.length > 3 ? `${names} +${members.length - 3}` : names;
}

/**
 * Throws VOLLY_E_GROUP_FULL (details.limit, details.size) when a group of `present` devices cannot
 * take `adding` more within LIMITS.maxGroupDevices. Called before key packages are claimed, so a
 * refused add uses none of them up; the delivery service checks the same limit on every commit.
 */
function ensureRoom(present: number, adding: number): void {
  const size = present + adding;
  if (size > LIMITS.maxGroupDevices) {
    throw new VollyError("VOLLY_E_GROUP_FULL", undefined, { limit: LIMITS.maxGroupDevices, size });
  }
}
