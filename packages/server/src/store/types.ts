import type { ApiKeyScope, EntityType, MessageDeclaration } from "@volly/protocol";
import type { CommunityRepository } from "./community-types.js";

/**
 * The storage interface of the Volly server: small repositories, one per concern, composed into a
 * {@link Store}. Every method is async so SQLite and PostgreSQL implementations share it. Times are
 * milliseconds since the Unix epoch; payloads are base64url text the server never decodes.
 */

/** An account row. */
export interface AccountRecord {
  id: string;
  handle: string;
  entityType: string;
  createdAt: number;
  /** Human-friendly name shown next to the handle; absent when the account did not set one. */
  displayName?: string;
}

/** A device row. */
export interface DeviceRecord {
  id: string;
  accountId: string;
  /** base64url Ed25519 public key. */
  signaturePublicKey: string;
  name: string;
  createdAt: number;
  /** When the device was revoked (ms); absent while active. */
  revokedAt?: number;
}

/** A device together with its account's handle, entity type and display name. */
export interface DeviceWithAccount extends DeviceRecord {
  handle: string;
  /** The account's kind (human, bot, agent, service, device): picks its rate-limit budget. */
  entityType: EntityType;
  /** The account's display name; absent when unset. */
  displayName?: string;
}

/** A stored key package. */
export interface KeyPackageRecord {
  ref: string;
  deviceId: string;
  /** MLSMessage bytes, base64url. */
  data: string;
  lastResort: boolean;
  createdAt: number;
}

/**
 * The names of the membership policies a group can follow (who may commit what, send, grant admin;
 * see `services/groups/membership-policy.ts`). "admin": admin accounts may add and remove other
 * accounts' devices — every direct conversation, group and account-sync conversation.
 * "community-channel": a community channel's group, whose membership follows VIEW_CHANNEL.
 */
export const MEMBERSHIP_POLICY_NAMES = ["admin", "community-channel"] as const;

/** One of {@link MEMBERSHIP_POLICY_NAMES}. */
export type MembershipPolicyName = (typeof MEMBERSHIP_POLICY_NAMES)[number];

/** A group's ordering state and the policy its membership follows. */
export interface GroupRecord {
  id: string;
  epoch: number;
  lastSeq: number;
  createdAt: number;
  /** Chosen when the group is created; decides who may commit what, send and grant admin. */
  membershipPolicy: MembershipPolicyName;
}

/**
 * The kind of a group log entry: an MLS commit, an MLS application message, or a departure (the
 * sender device left the group; empty payload — a remaining member commits its Remove).
 */
export type LogKind = "commit" | "application" | "departure";

/** One entry of a group's ordered log. */
export interface LogEntryRecord {
  groupId: string;
  seq: number;
  kind: LogKind;
  messageId: string;
  senderDeviceId: string;
  /** The epoch the message was created in. */
  epoch: number;
  /** base64url MLSMessage. */
  payload: string;
  createdAt: number;
}

/** A log entry with its sender's account, as dispatched to devices. */
export interface LogEntryWithSender extends LogEntryRecord {
  senderAccountId: string;
  senderHandle: string;
}

/** A Welcome in a device's inbox. */
export interface WelcomeRecord {
  id: string;
  deviceId: string;
  groupId: string;
  seq: number;
  epoch: number;
  senderDeviceId: string;
  /** base64url MLSMessage (mls_welcome). */
  payload: string;
  createdAt: number;
}

/** A Welcome joined with its sender and the ratchet tree of its epoch. */
export interface WelcomeWithContext extends WelcomeRecord {
  senderAccountId: string;
  senderHandle: string;
  /** base64url ratchet tree of the epoch joined; "" when none was stored. */
  ratchetTree: string;
}

/**
 * A device's membership in one group, current or ended. The device reads the entries with
 * joinedSeq < seq ≤ leftSeq; it is a member (may send, commit, type, look the group up) only while
 * leftSeq is null.
 */
export interface MembershipRecord {
  groupId: string;
  deviceId: string;
  joinedSeq: number;
  /** Seq of the entry that ended the membership (removing commit or departure); null while a member. */
  leftSeq: number | null;
}

/** An account that shares a group with another one (see {@link GroupRepository.listPeerAccounts}). */
export interface PeerAccount {
  accountId: string;
  handle: string;
}

/** Accounts (authentication service). */
export interface AccountRepository {
  /** Inserts an account. @throws StoreConflict ("account") on a taken id or handle */
  insert(account: AccountRecord): Promise<void>;
  findById(id: string): Promise<AccountRecord | undefined>;
  findByHandle(handle: string): Promise<AccountRecord | undefined>;
  /** Sets an account's display name (no change when there is no such account). */
  setDisplayName(id: string, displayName: string): Promise<void>;
}

/** Devices and their signature keys. */
export interface DeviceRepository {
  /** Inserts a device. @throws StoreConflict ("device") on a taken id or signature key */
  insert(device: DeviceRecord): Promise<void>;
  findById(id: string): Promise<DeviceWithAccount | undefined>;
  findBySignatureKey(signaturePublicKey: string): Promise<DeviceRecord | undefined>;
  listByAccount(accountId: string): Promise<DeviceRecord[]>;
  /** Which of `ids` exist and are not revoked. */
  existing(ids: readonly string[]): Promise<Set<string>>;
  /**
   * The devices among `ids` that exist, revoked or not, in no particular order (any number of ids:
   * the lookup is chunked). What the delivery service compares a commit's added key packages with.
   */
  findMany(ids: readonly string[]): Promise<DeviceRecord[]>;
  /** The account of each of `ids` that exists and is not revoked (device id → account id). */
  accountsOf(ids: readonly string[]): Promise<Map<string, string>>;
  /** Marks the device revoked at `at` (ms) unless it already is; returns whether it changed. */
  revoke(id: string, at: number): Promise<boolean>;
}

/** Auth nonces and REST sessions. */
export interface AuthRepository {
  insertNonce(nonce: { nonce: string; deviceId: string; expiresAt: number }): Promise<void>;
  /**
   * Marks the nonce used iff it exists, belongs to `deviceId`, expires after `now` and is unused.
   * Conditional update, so two concurrent callers cannot both succeed. Returns whether it did.
   */
  consumeNonce(nonce: string, deviceId: string, now: number): Promise<boolean>;
  /** Stores a session; `apiKeyId` when it was made with an API key. */
  insertSession(session: {
    tokenHash: string;
    deviceId: string;
    expiresAt: number;
    apiKeyId?: string;
  }): Promise<void>;
  /** The device (and API key, if any) of an unexpired session (expires_at > now). */
  findSession(
    tokenHash: string,
    now: number,
  ): Promise<{ deviceId: string; expiresAt: number; apiKeyId?: string } | undefined>;
  /** Deletes nonces and sessions that expired at or before `now`. */
  purgeExpired(now: number): Promise<void>;
  /** Deletes every session and nonce of the device (revocation). */
  deleteForDevice(deviceId: string): Promise<void>;
}

/** Key package directory. */
export interface KeyPackageRepository {
  /** Inserts packages; a ref already stored is left untouched. */
  insertMany(packages: readonly KeyPackageRecord[]): Promise<void>;
  /** Deletes the device's last-resort package(s). */
  deleteLastResort(deviceId: string): Promise<void>;
  /** Unclaimed one-time packages and whether a last-resort one exists. */
  count(deviceId: string): Promise<{ available: number; hasLastResort: boolean }>;
  /**
   * Atomically claims the device's oldest unclaimed one-time package for `claimerDeviceId`
   * (conditional update; a package is never claimed twice). Undefined when none is left.
   */
  claimOneTime(deviceId: string, claimerDeviceId: string, now: number): Promise<KeyPackageRecord | undefined>;
  findLastResort(deviceId: string): Promise<KeyPackageRecord | undefined>;
  /** Deletes the device's unclaimed packages, one-time and last-resort (revocation). */
  deleteUnclaimed(deviceId: string): Promise<void>;
  /**
   * Holds the device's pool for this transaction: a concurrent upload of the same device (on any node)
   * waits until it ends, so a cap checked after inserting cannot be overshot. A row lock on the device
   * on PostgreSQL; SQLite runs one write transaction at a time anyway.
   */
  lockPool(deviceId: string): Promise<void>;
}

/** Groups, their members and ratchet trees. */
export interface GroupRepository {
  /** Inserts a group. @throws StoreConflict ("group") on a taken id */
  insert(group: GroupRecord): Promise<void>;
  find(id: string): Promise<GroupRecord | undefined>;
  /**
   * `UPDATE groups SET epoch = epoch + 1, last_seq = last_seq + 1 WHERE id = ? AND epoch = ?
   * RETURNING epoch, last_seq`: the atomic first-commit-wins check. Undefined when the epoch moved.
   */
  advanceEpoch(id: string, expectedEpoch: number): Promise<{ epoch: number; lastSeq: number } | undefined>;
  /**
   * `UPDATE groups SET last_seq = last_seq + 1, stored_bytes = stored_bytes + ? … RETURNING`: allocates
   * the next seq and charges `storedBytes` to the group in one statement (and returns the group's
   * membership policy and its new stored bytes with it, so a send needs no other read of the group).
   *
   * @param storedBytes bytes the entry will hold (its payload's base64url characters); default 0
   */
  nextSeq(
    id: string,
    storedBytes?: number,
  ): Promise<
    | { epoch: number; lastSeq: number; membershipPolicy: MembershipPolicyName; storedBytes: number }
    | undefined
  >;
  /** The current members (memberships not ended), by joined seq then device id. */
  listMembers(groupId: string): Promise<string[]>;
  /** The device's membership row in the group, current or ended. */
  findMembership(groupId: string, deviceId: string): Promise<MembershipRecord | undefined>;
  /** Every membership row of `deviceId`, current or ended, by group id. */
  listMemberships(deviceId: string): Promise<MembershipRecord[]>;
  /**
   * Makes the devices members from `joinedSeq` on: inserts their rows, or — for a device whose
   * membership had ended — sets joined_seq and clears left_seq (re-adding).
   */
  addMembers(groupId: string, deviceIds: readonly string[], joinedSeq: number): Promise<void>;
  /**
   * Ends the current memberships of these devices at `leftSeq` (rows are kept so the devices still
   * read up to it). Memberships that already ended keep their left_seq.
   */
  endMemberships(groupId: string, deviceIds: readonly string[], leftSeq: number): Promise<void>;
  /**
   * The accounts (other than `accountId`) with a device that is a current member of a group in which
   * a device of `accountId` is a current member; by account id.
   */
  listPeerAccounts(accountId: string): Promise<PeerAccount[]>;
  /**
   * Stores the ratchet tree of one epoch (an epoch has one tree: a commit creates each epoch once).
   *
   * @param accountId the account charged for it (the committer), credited back when it is pruned
   */
  putTree(groupId: string, epoch: number, ratchetTree: string, accountId?: string): Promise<void>;
  findTree(groupId: string, epoch: number): Promise<string | undefined>;
}

/** The ordered log of each group. */
export interface LogRepository {
  /**
   * Appends an entry. @throws StoreConflict ("log entry") when the group's log has an entry with the
   * same seq or message id (a retried send: the caller looks the original up by message id)
   */
  append(entry: LogEntryRecord): Promise<void>;
  /**
   * Appends an entry and adds `bytes` to the stored bytes of the account `accountId` (its sender's),
   * in that order; returns the account's new total, undefined when there is no such account. On
   * PostgreSQL one statement (the insert in a data-modifying WITH, the account's update after it:
   * one round trip per message fewer), on SQLite the two statements of `append` and
   * `StorageRepository.chargeAccount`.
   *
   * @param bytes base64url characters the entry holds (its payload)
   * @throws StoreConflict ("log entry") as `append`; nothing is written then
   */
  appendCharging(entry: LogEntryRecord, accountId: string, bytes: number): Promise<number | undefined>;
  findByMessageId(groupId: string, messageId: string): Promise<LogEntryRecord | undefined>;
  /** The commit created in `epoch` (there is at most one: first commit wins). */
  findCommitAt(groupId: string, epoch: number): Promise<LogEntryRecord | undefined>;
  /**
   * Entries with afterSeq < seq (≤ `upToSeq` when given), in seq order, skipping those sent by
   * `excludeSender`; at most `limit`.
   */
  readAfter(
    groupId: string,
    afterSeq: number,
    options: { excludeSender?: string; upToSeq?: number; limit: number },
  ): Promise<LogEntryWithSender[]>;
}

/** Per-device Welcome inboxes. */
export interface WelcomeRepository {
  /** Adds inbox entries, each with its own Welcome bytes. */
  insertMany(welcomes: readonly WelcomeRecord[]): Promise<void>;
  /**
   * Adds one inbox entry per device a commit added, all for the commit's one Welcome (RFC 9420
   * §12.4.3.1: one Welcome serves every new member), whose bytes are stored once, not per device.
   * Entries read back with `payload` set to those bytes. Every entry has the commit's groupId and seq.
   */
  insertShared(
    payload: string,
    entries: readonly Omit<WelcomeRecord, "payload">[],
    accountId?: string,
  ): Promise<void>;
  /** Unacknowledged welcomes of the device, oldest first. */
  listPending(deviceId: string): Promise<WelcomeWithContext[]>;
  /** One unacknowledged welcome of the device. */
  findPending(deviceId: string, welcomeId: string): Promise<WelcomeWithContext | undefined>;
  /** Marks these welcomes of the device acknowledged (others' ids are ignored). */
  ack(deviceId: string, welcomeIds: readonly string[], now: number): Promise<void>;
}

/** Delivery cursors: how far each device processed each group's log. */
export interface CursorRepository {
  find(deviceId: string, groupId: string): Promise<number | undefined>;
  listForDevice(deviceId: string): Promise<Map<string, number>>;
  /** Sets the cursor to `seq` unless it is already at or past it (monotonic upsert). */
  advance(deviceId: string, groupId: string, seq: number): Promise<void>;
  /**
   * {@link CursorRepository.advance} for many cursors in few statements (multi-row upserts). At most
   * one row per (device, group).
   */
  advanceMany(rows: readonly CursorPosition[]): Promise<void>;
}

/** Where a device's delivery of one group stands: it durably processed the log up to `seq`. */
export interface CursorPosition {
  deviceId: string;
  groupId: string;
  seq: number;
}

/** Group admins and the GroupInfos kept for resync (RFC 9420 §12.4.3.2). */
export interface GroupStateRepository {
  /** Makes the accounts admins of the group; accounts already admins are left as they are. */
  addAdmins(groupId: string, accountIds: readonly string[]): Promise<void>;
  /** The group's admin accounts, by account id. */
  listAdmins(groupId: string): Promise<string[]>;
  /** Whether the account is an admin of the group. */
  isAdmin(groupId: string, accountId: string): Promise<boolean>;
  /**
   * Stores the GroupInfo of one epoch (replacing one stored for it before).
   *
   * @param accountId the account charged for it (the committer), credited back when it is pruned
   */
  putGroupInfo(groupId: string, epoch: number, groupInfo: string, accountId?: string): Promise<void>;
  /**
   * The GroupInfo stored for one epoch (base64url MLSMessage), if any: with the ratchet tree of the
   * same epoch (`GroupRepository.findTree`), what the delivery service verifies a commit made in that
   * epoch against (RFC 9420 §6.2, §12.4).
   */
  findGroupInfo(groupId: string, epoch: number): Promise<string | undefined>;
  /** The GroupInfo of the highest epoch stored for the group, if any. */
  findLatestGroupInfo(groupId: string): Promise<{ epoch: number; groupInfo: string } | undefined>;
}

/** A group as the retention job sees it (see {@link RetentionRepository.groupsToPrune}). */
export interface RetentionGroup {
  id: string;
  epoch: number;
  lastSeq: number;
  /** Every entry with seq ≤ this is gone. */
  prunedSeq: number;
}

/** A device that reads (or read) a group's log: its membership and how far it acknowledged. */
export interface GroupReader {
  deviceId: string;
  joinedSeq: number;
  /** Null while a member. */
  leftSeq: number | null;
  /** The device's delivery cursor in the group; 0 when it acknowledged nothing. */
  cursor: number;
}

/** Log entries to delete (see {@link RetentionRepository.deleteEntries}). */
export interface EntryRange {
  groupId: string;
  /** Entries with afterSeq < seq ≤ upToSeq. */
  afterSeq: number;
  upToSeq: number;
  /** Only entries sent by this device. */
  sender?: string;
  /** Only entries created strictly before this (ms since the Unix epoch). */
  createdBefore?: number;
}

/**
 * What the delivery service no longer needs: the retention job's reads and deletions. Every deletion
 * credits the deleted rows' bytes back to their group and account (`stored_bytes`) in the same
 * statement's transaction, and only for the rows it actually deleted (DELETE … RETURNING), so two
 * nodes pruning at once never credit a row twice.
 */
export interface RetentionRepository {
  /**
   * Groups that may hold log entries (last_seq > pruned_seq) with id > `afterId`, by id, at most `limit`.
   */
  groupsToPrune(afterId: string, limit: number): Promise<RetentionGroup[]>;
  /** Every membership of the group, current or ended, with the device's cursor. */
  readers(groupId: string): Promise<GroupReader[]>;
  /** Deletes the entries of `range`; returns how many. */
  deleteEntries(range: EntryRange): Promise<number>;
  /** The lowest seq > afterSeq still in the group's log with created_at ≥ `createdFrom` (any when omitted). */
  lowestSeq(groupId: string, afterSeq: number, createdFrom?: number): Promise<number | undefined>;
  /** Raises the group's pruned_seq to `seq` (never lowers it). */
  raisePrunedSeq(groupId: string, seq: number): Promise<void>;
  /**
   * Deletes up to `limit` Welcomes (inbox entries) that are acknowledged or created before
   * `expireBefore`, and each commit's shared Welcome once no entry refers to it. Returns how many inbox
   * entries went and the groups they were of.
   */
  deleteWelcomes(expireBefore: number, limit: number): Promise<{ deleted: number; groupIds: string[] }>;
  /**
   * Deletes the group's ratchet trees of epochs below `currentEpoch` no pending Welcome refers to, and
   * its GroupInfos below the latest one. Returns how many rows went.
   */
  pruneEpochs(groupId: string, currentEpoch: number): Promise<number>;
  /** Deletes key packages claimed before `claimedBefore` (they are never handed out again). Returns how many. */
  deleteClaimedKeyPackages(claimedBefore: number): Promise<number>;
}

/** Storage accounting (quotas): what each account and group stores, in base64url characters. */
export interface StorageRepository {
  /** Adds `bytes` to the group's stored bytes; returns the new total, undefined when there is no such group. */
  chargeGroup(groupId: string, bytes: number): Promise<number | undefined>;
  /**
   * Adds `bytes` to the stored bytes of the account `deviceId` belongs to (one statement); returns the
   * account and its new total, undefined when there is no such device.
   */
  chargeAccountOf(
    deviceId: string,
    bytes: number,
  ): Promise<{ accountId: string; storedBytes: number } | undefined>;
  /**
   * Adds `bytes` to the account's stored bytes (one statement by primary key); returns the new total,
   * undefined when there is no such account.
   */
  chargeAccount(accountId: string, bytes: number): Promise<number | undefined>;
  /** The account's stored bytes (0 for an unknown account). */
  accountBytes(accountId: string): Promise<number>;
  /** The group's stored bytes (0 for an unknown group). */
  groupBytes(groupId: string): Promise<number>;
}

/**
 * Rate limits shared by every node (the store is): the generic cell rate algorithm over one row per key.
 * A key allows `limit` units per `windowMs`, all of them at once when it has been idle for a window.
 */
export interface RateLimitRepository {
  /**
   * Takes `cost` units from `key` if it has them (one conditional upsert: concurrent takes on any node
   * cannot overdraw it). Inside a transaction the take is undone when the transaction rolls back.
   *
   * @returns `{ allowed: true }`, or `{ allowed: false, retryAfterMs }`: when `cost` units will be there
   */
  take(
    key: string,
    cost: number,
    limit: number,
    windowMs: number,
    now: number,
  ): Promise<{ allowed: true } | { allowed: false; retryAfterMs: number }>;
  /** Deletes keys idle long enough to be fully available again (tat ≤ now); returns how many. */
  purge(now: number): Promise<number>;
}

/** An account's chosen status as stored (see `account_statuses`, migration 0009). */
export interface AccountStatusRecord {
  accountId: string;
  status: "online" | "idle" | "dnd" | "invisible";
  /** Custom text; may have expired (compare {@link AccountStatusRecord.until} with the clock). */
  text?: string;
  /** When the custom text expires (ms); absent: never. */
  until?: number;
  /** When it was set (ms). */
  setAt: number;
}

/** The statuses accounts chose, one row per account. */
export interface AccountStatusRepository {
  /** The account's stored status, or undefined when it never set one. */
  get(accountId: string): Promise<AccountStatusRecord | undefined>;
  /**
   * Stores `record` unless the stored one was set later (last writer wins by `setAt`).
   *
   * @returns the record now stored (the given one, or the later one that was kept)
   */
  put(record: AccountStatusRecord): Promise<AccountStatusRecord>;
}

/** An account's recovery key and backup as stored (see `account_recovery`, migration 0010). */
export interface AccountRecoveryRecord {
  accountId: string;
  /** Ed25519 public key derived from the recovery key (base64url). */
  publicKey: string;
  /** When the key was set (ms). */
  createdAt: number;
  /** The sealed backup (base64url), when one was stored. */
  backup?: string;
  backupUpdatedAt?: number;
  /** The pending restore nonce and its expiry (ms). */
  nonce?: string;
  nonceExpiresAt?: number;
  /** Failed restore attempts since the last success or key change. */
  failures: number;
  /** When the last failed attempt was (ms). */
  lastFailureAt?: number;
}

/** Recovery keys, backups, restore nonces and the rejoin grants of restored devices. */
export interface AccountRecoveryRepository {
  /** The account's row, or undefined when it has no recovery key. */
  get(accountId: string): Promise<AccountRecoveryRecord | undefined>;
  /** Sets (or replaces) the recovery key; a replaced key's backup, nonce and failures are dropped. */
  putKey(accountId: string, publicKey: string, at: number): Promise<void>;
  /** Stores the sealed backup. Returns false when the account has no recovery key. */
  putBackup(accountId: string, backup: string, at: number): Promise<boolean>;
  /** Replaces the pending restore nonce. */
  putNonce(accountId: string, nonce: string, expiresAt: number): Promise<void>;
  /** Clears the nonce if it is `nonce` and unexpired at `at`; true when it was (single use). */
  consumeNonce(accountId: string, nonce: string, at: number): Promise<boolean>;
  /** Counts a failed attempt at `at` (and clears the nonce). */
  recordFailure(accountId: string, at: number): Promise<void>;
  /** Resets the failed attempts (after a successful restore). */
  resetFailures(accountId: string): Promise<void>;
  /** Lets `deviceId` join each of `groupIds` by external commit. */
  grantRejoins(deviceId: string, groupIds: readonly string[], at: number): Promise<void>;
  /** The groups `deviceId` may still join by external commit after a restore. */
  listRejoins(deviceId: string): Promise<string[]>;
  /** Whether `deviceId` may join `groupId` by external commit after a restore. */
  hasRejoin(deviceId: string, groupId: string): Promise<boolean>;
  /** Drops the grant (its join was accepted). */
  dropRejoin(deviceId: string, groupId: string): Promise<void>;
}

/** A message held as ciphertext until its release time (see `scheduled_messages`, migration 0011). */
export interface ScheduledRecord {
  messageId: string;
  groupId: string;
  accountId: string;
  /** The device it is sent as at release. */
  deviceId: string;
  epoch: number;
  ciphertext: string;
  declares?: MessageDeclaration[];
  /** ms since the Unix epoch. */
  releaseAt: number;
  seriesId?: string;
  createdAt: number;
  /** Set while a node releases it (ms). */
  claimedAt?: number;
  /** The error code a refused release ended with. */
  failure?: string;
}

/** Scheduled messages. Every change to a waiting row is conditional on it not being claimed. */
export interface ScheduledRepository {
  /** Stores a new scheduled message. @throws StoreConflict when the message id is taken */
  insert(record: ScheduledRecord): Promise<void>;
  /** One scheduled message, or undefined. */
  get(messageId: string): Promise<ScheduledRecord | undefined>;
  /** An account's scheduled messages, by release time. */
  listByAccount(accountId: string): Promise<ScheduledRecord[]>;
  /** How many messages an account holds scheduled and unreleased (failures not counted). */
  countByAccount(accountId: string): Promise<number>;
  /**
   * Replaces the ciphertext (and sender device, epoch, declarations) of an unclaimed, unfailed
   * message of `accountId`; returns whether it did.
   */
  replace(
    messageId: string,
    accountId: string,
    change: { deviceId: string; epoch: number; ciphertext: string; declares?: MessageDeclaration[] },
  ): Promise<boolean>;
  /** Deletes an unclaimed (or failed) message of `accountId`; returns whether it did. */
  cancel(messageId: string, accountId: string): Promise<boolean>;
  /**
   * Ids of messages due at `now` that no node holds: unclaimed, or claimed before `staleBefore`
   * (a node that died mid-release), not failed; earliest first, at most `limit`.
   */
  due(now: number, staleBefore: number, limit: number): Promise<string[]>;
  /**
   * Claims a due message for release with one conditional UPDATE (unclaimed or stale claim, not
   * failed): of concurrent claims on any node exactly one returns true.
   */
  claim(messageId: string, now: number, staleBefore: number): Promise<boolean>;
  /** Releases a claim so the message is tried again (a failure that may be temporary). */
  unclaim(messageId: string): Promise<void>;
  /** Marks a claimed message refused for good with an error code (kept so its account sees it). */
  fail(messageId: string, failure: string): Promise<void>;
  /** Deletes a message once released. */
  remove(messageId: string): Promise<void>;
}

/**
 * The status of a device link: open → claimed → approved or declined (both final; "expired" is
 * derived from the time).
 */
export type DeviceLinkState = "open" | "claimed" | "approved" | "declined";

/** A device link (pairing code) and what the new device presented. */
export interface DeviceLinkRecord {
  id: string;
  accountId: string;
  creatorDeviceId: string;
  expiresAt: number;
  status: DeviceLinkState;
  /** Set once claimed. */
  claimedKey?: string;
  claimedName?: string;
  claimedProof?: string;
  /** Set once approved. */
  deviceId?: string;
  createdAt: number;
}

/** Device links (pairing codes). */
export interface DeviceLinkRepository {
  insert(link: DeviceLinkRecord): Promise<void>;
  find(id: string): Promise<DeviceLinkRecord | undefined>;
  /**
   * Claims an open, unexpired link (conditional update: of two concurrent claims one wins).
   * Returns whether it did.
   */
  claim(id: string, claim: { key: string; name: string; proof: string }, now: number): Promise<boolean>;
  /** Marks a claimed link approved with the registered device (conditional update); returns whether it did. */
  approve(id: string, deviceId: string): Promise<boolean>;
  /**
   * Marks a claimed, unexpired link declined (conditional update: of a concurrent approval and
   * decline one wins); returns whether it did. The claimed key, name and proof are kept.
   */
  decline(id: string, now: number): Promise<boolean>;
}

/** The state of an upload / blob row (see `blobs`, migration 0012). */
export type BlobState = "uploading" | "complete" | "removed";

/** One upload and, once its hash is checked, the blob it became. */
export interface BlobRecord {
  /** The tus upload id (`<blobDir>/uploads/<id>` while uploading). */
  id: string;
  /**
   * The SHA-256 (base64url) of the ciphertext; `<blobDir>/<blobId>` once complete. While uploading:
   * the one the client declared (`Upload-Metadata` `sha256`), or {@link UNDECLARED_BLOB_ID} when it
   * declared none (the server names the blob by the hash it computes at completion).
   */
  blobId: string;
  groupId: string;
  /** The account that created the upload. */
  accountId: string;
  /** Ciphertext bytes. */
  size: number;
  state: BlobState;
  createdAt: number;
  /** When it is removed unless a message points at it (ms); undefined once one does. */
  expiresAt?: number;
}

/**
 * The `blobId` of an upload whose client declared no hash (not a valid blob id, so it never names a
 * file or matches a complete blob): the server names it at completion.
 */
export const UNDECLARED_BLOB_ID = "";

/** A blob row whose file is to be deleted (or an expired upload whose files are). */
export interface BlobFileRef {
  /** The upload id. */
  id: string;
  blobId: string;
}

/**
 * Uploads, blobs and which messages point at them. Every change that makes a blob unreachable marks
 * its row "removed" first (no longer served) in the caller's transaction; the file is deleted after
 * the commit and the row last, so a node dying in between leaves a row the expiry job finishes.
 */
export interface BlobRepository {
  /** Stores a new upload (state "uploading"). */
  insertUpload(record: BlobRecord): Promise<void>;
  /** One upload or blob by upload id, or undefined. */
  findUpload(id: string): Promise<BlobRecord | undefined>;
  /** The complete blob with this blob id, or undefined (unknown, unfinished or removed). */
  findBlob(blobId: string): Promise<BlobRecord | undefined>;
  /** Bytes of the account's open uploads and blobs (removed ones not counted). */
  usedBytes(accountId: string): Promise<number>;
  /**
   * Marks an upload complete, unreferenced until `expiresAt`, with one conditional UPDATE: only
   * while it is "uploading" and no other row holds `blobId` (the hash computed at completion)
   * complete or being removed; the row takes that blob id in the same statement. Returns whether
   * it did.
   */
  complete(id: string, expiresAt: number, blobId: string): Promise<boolean>;
  /**
   * Marks "removed" the complete blob of upload `id` when no message points at it (its uploader
   * cancelled before sending). Returns it, or undefined when there is none such.
   */
  removeUnsent(id: string): Promise<BlobFileRef | undefined>;
  /** Deletes an upload's or blob's row. Returns whether it did. */
  deleteRow(id: string): Promise<boolean>;
  /**
   * Records that `message` points at `blobIds` (clearing their expiry) — only when every one is a
   * complete blob of the message's group or one uploaded by the sender device's account (a blob its
   * uploader shares into other conversations, such as an avatar).
   *
   * @returns undefined when recorded, else the first blob id that is not a complete blob of the
   *   group (nothing recorded)
   */
  reference(
    message: { groupId: string; messageId: string; seq: number; senderDeviceId: string; createdAt: number },
    blobIds: readonly string[],
  ): Promise<string | undefined>;
  /**
   * Records that `message` points at `blobIds` whether or not this server holds them (a follower's
   * copy of a group hosted elsewhere: the blobs are fetched from the hub when first read), and
   * clears the expiry of those it holds.
   */
  recordReferences(
    message: { groupId: string; messageId: string; seq: number; senderDeviceId: string; createdAt: number },
    blobIds: readonly string[],
  ): Promise<void>;
  /**
   * A message of a group `deviceId` is a current member of that points at `blobId` (so the device
   * may read the blob although it is not in the group it was uploaded to): its group and sender
   * device, or undefined when there is none.
   */
  referenceForDevice(
    blobId: string,
    deviceId: string,
  ): Promise<{ groupId: string; senderDeviceId: string } | undefined>;
  /** Clears the expiry of these complete blobs: a message points at them (they stay while it does). */
  markSent(blobIds: readonly string[]): Promise<void>;
  /** The blob ids each of these messages of `groupId` points at (messages pointing at none left out). */
  referencesOf(groupId: string, messageIds: readonly string[]): Promise<Map<string, string[]>>;
  /** Whether `blobId` is a complete blob uploaded to `groupId` or one a message of it points at. */
  inGroup(blobId: string, groupId: string): Promise<boolean>;
  /**
   * The seq and sender of a message that points at blobs, from the references (its log entry may
   * have been pruned after delivery), or undefined.
   */
  findMessage(
    groupId: string,
    messageId: string,
  ): Promise<{ seq: number; senderDeviceId: string } | undefined>;
  /**
   * Forgets which blobs these messages point at; blobs no message points at any more (and that had
   * been pointed at) are marked "removed". Returns those.
   */
  release(groupId: string, messageIds: readonly string[]): Promise<BlobFileRef[]>;
  /**
   * Forgets references recorded before `createdBefore` (message retention): those of the messages
   * behind at most `limit` of them, in one statement; blobs no message points at any more are
   * marked "removed". Returns how many references went (fewer than `limit`: none are left).
   */
  releaseOlderThan(createdBefore: number, limit: number): Promise<number>;
  /**
   * Marks "removed" complete blobs whose group has no current member (channel or community deleted,
   * everyone left) and that no message of a group with a current member points at.
   */
  removeMemberless(limit: number): Promise<number>;
  /** Marks "removed" complete blobs no message points at whose expiry passed. Returns how many. */
  expireUnsent(now: number, limit: number): Promise<number>;
  /** Deletes unfinished uploads whose expiry passed; returns them (their files are the caller's to delete). */
  deleteExpiredUploads(now: number, limit: number): Promise<BlobFileRef[]>;
  /** Rows marked "removed" (their files still to delete), at most `limit`. */
  listRemoved(limit: number): Promise<BlobFileRef[]>;
}

/** One stored API key (never the key itself: its SHA-256). */
export interface ApiKeyRecord {
  id: string;
  accountId: string;
  name: string;
  keyHash: string;
  hint: string;
  scopes: ApiKeyScope[];
  createdAt: number;
  expiresAt?: number;
  revokedAt?: number;
  lastUsedAt?: number;
  replacedBy?: string;
}

/** API keys (migration 0013) and the devices bound to key authentication. */
export interface ApiKeyRepository {
  insert(key: ApiKeyRecord): Promise<void>;
  findById(id: string): Promise<ApiKeyRecord | undefined>;
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** The account's keys, newest first. */
  listForAccount(accountId: string): Promise<ApiKeyRecord[]>;
  /** How many of the account's keys are neither revoked nor expired at `now`. */
  countActive(accountId: string, now: number): Promise<number>;
  /** Sets revoked_at unless already set; returns whether it changed. */
  revoke(id: string, at: number): Promise<boolean>;
  /** Marks `id` replaced by `newId`, expiring at `expiresAt` (the end of the overlap) unless earlier. */
  markRotated(id: string, newId: string, expiresAt: number): Promise<void>;
  /** Records a use (ms). */
  touch(id: string, at: number): Promise<void>;
  /** Binds a device to key authentication (idempotent). */
  bindDevice(deviceId: string, at: number): Promise<void>;
  /** Whether the device is bound to key authentication. */
  isDeviceBound(deviceId: string): Promise<boolean>;
  /** Deletes every REST session made with the key. */
  deleteSessions(apiKeyId: string): Promise<void>;
}

/** The repositories, bound to one connection or transaction. */
/** An account of another server as this server last heard of it from its home server. */
export interface RemoteAccountRecord {
  accountId: string;
  /** The account's home server (its name). */
  server: string;
  /** Its handle there (bare). */
  user: string;
  entityType: EntityType;
  displayName?: string;
  /** Its active devices: every other device of the account stored here is marked revoked. */
  devices: { deviceId: string; signaturePublicKey: string }[];
  /** When the home server described it (ms). */
  fetchedAt: number;
}

/** An account that moved from this server to another (migration 0015). */
export interface AccountMoveRecord {
  accountId: string;
  /** The handle it had here (bare). */
  handle: string;
  /** The server it moved to. */
  server: string;
  /** Its handle there (bare). */
  user: string;
  /** When this server handed it over (ms). */
  movedAt: number;
  /** The device's signed move (`AccountMove` of @volly/protocol), as JSON. */
  record: string;
}

/** A note to another server: a signed POST of `body` (JSON) to the federation route `path`. */
export interface FederationNote {
  id: string;
  server: string;
  path: string;
  body: string;
  createdAt: number;
}

/** An account that moves to this server from another, as the old server described it. */
export interface IncomingAccountRecord {
  accountId: string;
  /** Its handle here (bare). */
  handle: string;
  entityType: EntityType;
  displayName?: string;
  /** Its active devices (the same ids and keys as on the old server). */
  devices: { deviceId: string; signaturePublicKey: string }[];
  /** When it arrived (ms). */
  createdAt: number;
}

/** A group this server mirrors from its hub. */
export interface MirroredGroupRecord {
  groupId: string;
  hub: string;
  /** The hub's seq this server's copy reaches. */
  mirroredSeq: number;
}

/** A Welcome waiting at a hub for a device of another server (pushed to that device's home server). */
export interface RemoteWelcomeRef {
  deviceId: string;
  welcomeId: string;
  /** The device's home server. */
  server: string;
}

/**
 * What a member's home server keeps of communities other servers host (migration 0016,
 * `federation/community-relay.ts`).
 */
export interface RemoteCommunityRepository {
  /**
   * Records that `server` hosts the communities, channels and channel groups `ids` (learned from its
   * answers). An id recorded already keeps its server.
   */
  putRefs(server: string, ids: readonly string[]): Promise<void>;
  /** The server hosting the community, channel or channel group `id`; undefined when none is recorded. */
  serverOf(id: string): Promise<string | undefined>;
  /** {@link serverOf} for many ids in one read: the recorded ones, by id. */
  serversOf(ids: readonly string[]): Promise<Map<string, string>>;
  /** Records that the local account `accountId` is a member of `communityId`, hosted by `server`. */
  join(accountId: string, communityId: string, server: string): Promise<void>;
  /** Forgets that membership (left, removed, or the community is gone). */
  leave(accountId: string, communityId: string): Promise<void>;
  /** The communities other servers host that the local account is a member of, by community id. */
  list(accountId: string): Promise<{ communityId: string; server: string }[]>;
}

/**
 * Federation state (migration 0014): the accounts of other servers this server knows, and the groups
 * it mirrors from their hubs (`federation/`).
 */
export interface FederationRepository {
  /**
   * Stores what `account`'s home server says of it: the `accounts` row (handle `user@server`, entity
   * type, display name), the `federation_accounts` row, a `devices` row for each listed device not yet
   * stored, and marks the account's other stored devices revoked.
   *
   * @throws StoreConflict when another account has that handle or a listed device's key or id
   */
  putRemoteAccount(account: RemoteAccountRecord): Promise<void>;
  /** The home server and handle there of a remote account; undefined for a local or unknown one. */
  findRemoteAccount(
    accountId: string,
  ): Promise<{ server: string; user: string; fetchedAt: number } | undefined>;
  /** The home server of each of `deviceIds` that is another server's (local and unknown ones are absent). */
  homesOf(deviceIds: readonly string[]): Promise<Map<string, string>>;
  /** The servers (other than this one) whose devices are or were members of the group. */
  followerServers(groupId: string): Promise<string[]>;
  /** Records that the group is mirrored from `hub` (no change when it already is). */
  insertMirror(groupId: string, hub: string): Promise<void>;
  /** The group's hub and mirror position when this server mirrors it. */
  findMirror(groupId: string): Promise<MirroredGroupRecord | undefined>;
  /** Every mirrored group, by group id. */
  listMirrors(): Promise<MirroredGroupRecord[]>;
  /**
   * Sets the mirror's position and the group's epoch and last seq to the hub's (never backwards), so
   * local delivery reads the mirrored entries as it reads its own.
   */
  advanceMirror(groupId: string, seq: number, epoch: number): Promise<void>;
  /**
   * Hands a local account over to another server: its `accounts` row takes the handle
   * `user@server`, a `federation_accounts` row makes it that server's, and `account_moves` keeps the
   * handle it had here with where it went. No change when it moved already.
   *
   * @throws StoreConflict when another account has the new handle
   */
  moveOut(move: AccountMoveRecord): Promise<void>;
  /** The move of the account that had `handle` here, when it moved away. */
  findMove(handle: string): Promise<AccountMoveRecord | undefined>;
  /**
   * Makes an account that moves here a local one: its `accounts` row (created, or a remote
   * account's turned local: `federation_accounts` row removed) with `handle`, and a `devices` row for
   * each device not stored yet. Earlier moves away from here of that account are forgotten.
   *
   * @throws StoreConflict when another account has the handle or a device's key
   */
  moveIn(account: IncomingAccountRecord): Promise<void>;
  /** Queues notes to other servers (sent by `federation/federation-outbox.ts` until each answers). */
  queueOutbox(notes: readonly FederationNote[]): Promise<void>;
  /** Queued notes, oldest first, at most `limit`. */
  listOutbox(limit: number): Promise<FederationNote[]>;
  /** Removes a sent note. */
  deleteOutbox(id: string): Promise<void>;
  /** The servers, other than this one, whose devices are current members of a group with a device of the account. */
  serversSharingGroups(accountId: string): Promise<string[]>;
  /** Unacknowledged Welcomes of other servers' devices, oldest first, at most `limit`. */
  listRemoteWelcomes(limit: number): Promise<RemoteWelcomeRef[]>;
}

export interface Repositories {
  accounts: AccountRepository;
  devices: DeviceRepository;
  auth: AuthRepository;
  keyPackages: KeyPackageRepository;
  groups: GroupRepository;
  log: LogRepository;
  welcomes: WelcomeRepository;
  cursors: CursorRepository;
  deviceLinks: DeviceLinkRepository;
  groupState: GroupStateRepository;
  retention: RetentionRepository;
  storage: StorageRepository;
  rateLimits: RateLimitRepository;
  communities: CommunityRepository;
  accountStatuses: AccountStatusRepository;
  accountRecovery: AccountRecoveryRepository;
  scheduled: ScheduledRepository;
  blobs: BlobRepository;
  apiKeys: ApiKeyRepository;
  federation: FederationRepository;
  remoteCommunities: RemoteCommunityRepository;
}

/**
 * The checks and writes of a message send that a shared batch may leave to its end, where one
 * statement does each for every call of the batch: one round trip per batch instead of one per
 * message (PostgreSQL, in a batch run without savepoints; see `group-commit.ts`). They run after the
 * batch's last call, so a later call of the same batch does not see them. A deferred check that
 * fails, or a deferred append that conflicts, fails the batch: it is rolled back and run again with
 * each call in a savepoint and nothing deferred, so each call then meets its own error.
 */
export interface DeferredSends {
  /**
   * Checks at the batch's end that the device is a current member of the group (what
   * `requireMembership` checks). The group's row must already be locked in this transaction (the
   * seq allocation does it), so the check reads memberships no commit can change before this one.
   */
  requireMembership(groupId: string, deviceId: string): void;
  /**
   * {@link LogRepository.appendCharging} at the batch's end, for every deferred entry in one
   * statement. `check` then gets the account's total after every charge of the batch (undefined:
   * no such account) and throws to fail the batch (a quota exceeded): as the totals only grow
   * within a batch, a total within a limit means every call's own total was.
   *
   * @param bytes base64url characters the entry holds (its payload)
   */
  appendCharging(
    entry: LogEntryRecord,
    accountId: string,
    bytes: number,
    check: (accountBytes: number | undefined) => void,
  ): void;
  /**
   * A whole send deferred to the batch's end, where one statement first allocates the seqs of every
   * deferred send to each group (`last_seq + n`, in call order; each group charged its summed
   * bytes, its row locked), before the statement that appends and checks the memberships (which
   * the caller defers too). No round trip of its own.
   */
  send(send: DeferredSend): void;
  /**
   * Allocates now the seqs of the sends deferred to `groupId` so far (one statement; none when there
   * are none), so that a send to the group that allocates its own seq after this comes after them:
   * the calls of a batch keep their order in the log.
   */
  allocatePending(groupId: string): Promise<void>;
}

/** A message send deferred whole to the end of its batch ({@link DeferredSends.send}). */
export interface DeferredSend {
  /** The entry to append; its `seq` is set when the batch's end allocates it (before the commit). */
  entry: LogEntryRecord;
  /** The sender's account, charged `bytes`. */
  accountId: string;
  /** base64url characters the entry holds (its payload), charged to the group and to the account. */
  bytes: number;
  /**
   * The membership policy the caller took the group to follow (a group's never changes): a group
   * that follows another one, or that does not exist, fails the batch.
   */
  membershipPolicy: MembershipPolicyName;
  /**
   * The send's own checks, run at the batch's end with the group's epoch and stored bytes after
   * the batch's allocations and the account's total after its charges (undefined: no such account);
   * throws to fail the batch.
   */
  check(group: { epoch: number; storedBytes: number }, accountBytes: number | undefined): void;
}

/** The repositories of a shared transaction ({@link Store.transactionShared}). */
export interface SharedRepositories extends Repositories {
  /** Present when this run of the batch defers sends' checks and writes to its end. */
  deferred?: DeferredSends;
}

/**
 * The server's durable state. `transaction(fn)` runs `fn` with repositories bound to one database
 * transaction: committed when `fn` resolves, rolled back when it throws (the error is rethrown).
 * Calling `transaction` on a transactional store runs `fn` in the same transaction.
 */
export interface Store extends Repositories {
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * Like {@link Store.transaction}, but the call may share one database transaction — one commit,
   * one fsync — with other calls made at the same time (group commit). When `fn` throws, only its
   * own writes are rolled back and the error is rethrown: the batch is then run again with each call
   * in a savepoint, so `fn` may run more than once and must have no effect outside the transaction
   * (`group-commit.ts`). It resolves only once the shared transaction has committed. For small,
   * independent hot-path writes (a message appended, cursors advanced); `fn` must not wait on anything outside the transaction.
   * Calls run in the order they were made, each one's writes before the next one's: a caller may
   * start the next call without waiting for the previous one and still get their writes in order,
   * except what a call defers to the batch's end (`tx.deferred`, {@link DeferredSends}).
   */
  transactionShared<T>(fn: (tx: SharedRepositories) => Promise<T>): Promise<T>;
  /** Runs a trivial query: resolves when the database answers (health checks), rejects otherwise. */
  ping(): Promise<void>;
  /** Closes the underlying database. Further calls fail. */
  close(): Promise<void>;
}
