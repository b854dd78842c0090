import type { Generated } from "kysely";
import type { CommunityTables } from "./community-schema.js";

/**
 * Kysely table types of the Volly server database. One schema for every dialect (SQLite today,
 * PostgreSQL later): ids and binary payloads are base64url `text`, times are `bigint` milliseconds
 * since the Unix epoch, booleans are integers 0/1. Column names are snake_case.
 */

/** An account (MLS authentication service: who a device belongs to). */
export interface AccountsTable {
  id: string;
  handle: string;
  /** human | bot | agent | service | device */
  entity_type: string;
  created_at: number;
  /** Human-friendly name shown next to the handle (directory data, not secret); null when unset. Migration 0002. */
  display_name: string | null;
  /**
   * Bytes (base64url characters) of log entries, Welcomes, ratchet trees and GroupInfos this account
   * stored that are still kept: what its storage quota counts. Migration 0007.
   */
  stored_bytes: Generated<number>;
}

/** A device: one Ed25519 signature key, one MLS leaf per group. */
export interface DevicesTable {
  id: string;
  account_id: string;
  /** base64url Ed25519 public key; unique across all devices. */
  signature_public_key: string;
  name: string;
  created_at: number;
  /** When the device was revoked (ms); null while active. Migration 0003. */
  revoked_at: number | null;
}

/** Single-use REST auth nonces (`POST /v1/auth/challenge`). */
export interface AuthNoncesTable {
  nonce: string;
  device_id: string;
  expires_at: number;
  used_at: number | null;
}

/** REST bearer sessions; only the SHA-256 of the token is stored. */
export interface SessionsTable {
  /** base64url SHA-256 of the token's base64url text. */
  token_hash: string;
  device_id: string;
  expires_at: number;
  /** The API key the session was made with (migration 0013); null for signature-only sessions. */
  api_key_id: string | null;
}

/** API keys (migration 0013); only the SHA-256 of a key is stored. */
export interface ApiKeysTable {
  id: string;
  account_id: string;
  name: string;
  /** base64url SHA-256 of the key's text. */
  key_hash: string;
  /** The key's first 8 characters (vly_ + 4), not secret. */
  hint: string;
  /** Comma-separated scopes. */
  scopes: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  replaced_by: string | null;
}

/** Devices bound to API key authentication (migration 0013). */
export interface ApiKeyDevicesTable {
  device_id: string;
  bound_at: number;
}

/** Key package directory (RFC 9420 §10, §16.8). */
export interface KeyPackagesTable {
  /** KeyPackageRef (RFC 9420 §5.2), base64url. */
  ref: string;
  device_id: string;
  /** The MLSMessage bytes, base64url. */
  data: string;
  /** 1 for the device's last-resort package (never consumed), else 0. */
  last_resort: number;
  claimed_by: string | null;
  claimed_at: number | null;
  created_at: number;
}

/** A group's ordering state: the current epoch and the last log sequence number. */
export interface GroupsTable {
  id: string;
  epoch: number;
  last_seq: number;
  created_at: number;
  /** Name of the group's membership policy (`MembershipPolicyName`); "admin" for every group so far. Migration 0006. */
  membership_policy: string;
  /** Bytes of everything the group holds (log, Welcomes, trees, GroupInfos): its storage quota's count. Migration 0007. */
  stored_bytes: Generated<number>;
  /** Every log entry with seq ≤ this has been pruned (the retention job's floor). Migration 0007. */
  pruned_seq: Generated<number>;
}

/**
 * Which devices are (or were) members of which group, and which slice of the log they may read:
 * entries with joined_seq < seq ≤ left_seq (no upper bound while left_seq is null).
 */
export interface GroupMembersTable {
  group_id: string;
  device_id: string;
  /** Seq of the commit that added the device (0 for the creator); it reads entries after this. */
  joined_seq: number;
  /**
   * Seq at which the membership ended — the commit that removed the device or its departure entry —
   * or null while it is a member. The row is kept so the device still receives entries up to it.
   * Migration 0002.
   */
  left_seq: number | null;
}

/** The ordered log of a group: commits and application messages. */
export interface GroupLogTable {
  group_id: string;
  seq: number;
  /** "commit" | "application" | "departure" */
  kind: string;
  message_id: string;
  sender_device_id: string;
  /** The epoch the message was created in. */
  epoch: number;
  /** MLSMessage bytes, base64url. */
  payload: string;
  created_at: number;
}

/** Ratchet trees per epoch, served out of band to joiners (RFC 9420 §12.4.3.3). */
export interface GroupTreesTable {
  group_id: string;
  epoch: number;
  /** base64url. */
  ratchet_tree: string;
  /** The account charged for the row (the committer); null for rows older than migration 0007. */
  account_id: Generated<string | null>;
}

/** Per-device Welcome inbox (RFC 9420 §12.4.3.1). */
export interface WelcomesTable {
  id: string;
  device_id: string;
  group_id: string;
  /** Seq of the commit that added the device. */
  seq: number;
  /** The epoch the device joins at. */
  epoch: number;
  sender_device_id: string;
  /**
   * MLSMessage (mls_welcome) bytes, base64url; "" when the commit's one Welcome for all the devices
   * it added is stored once in `commit_welcomes` under (group_id, seq) (migration 0005).
   */
  payload: string;
  created_at: number;
  acked_at: number | null;
}

/**
 * The one Welcome of a commit that added several devices (RFC 9420 §12.4.3.1), stored once; each
 * added device's inbox entry (`welcomes`, payload "") refers to it by (group_id, seq). Migration 0005.
 */
export interface CommitWelcomesTable {
  group_id: string;
  /** Seq of the commit. */
  seq: number;
  /** MLSMessage (mls_welcome) bytes, base64url. */
  payload: string;
  /** The account charged for the row (the committer); null for rows older than migration 0007. */
  account_id: Generated<string | null>;
}

/** Accounts allowed to add and remove other accounts' devices in a group (migration 0004). */
export interface GroupAdminsTable {
  group_id: string;
  account_id: string;
}

/** GroupInfos with external_pub per epoch, for resync by external commit (migration 0004). */
export interface GroupInfosTable {
  group_id: string;
  epoch: number;
  /** MLSMessage (mls_group_info) bytes, base64url. */
  group_info: string;
  /** The account charged for the row (the committer); null for rows older than migration 0007. */
  account_id: Generated<string | null>;
}

/**
 * Rate limits kept in the database so every node shares them (migration 0007): one row per key, the
 * generic cell rate algorithm's theoretical arrival time. A row whose `tat` is in the past is the same
 * as no row (the limit is fully available) and may be deleted.
 */
export interface RateLimitsTable {
  /** What is limited, e.g. `claim:claimer:<accountId>`. */
  key: string;
  /** Theoretical arrival time (ms since the Unix epoch). */
  tat: number;
}

/** A device link (pairing code) created by an existing device. Migration 0003. */
export interface DeviceLinksTable {
  id: string;
  account_id: string;
  creator_device_id: string;
  expires_at: number;
  /** "open" | "claimed" | "approved" | "declined" (unconstrained text: no migration for new states) */
  status: string;
  /** base64url Ed25519 public key presented by the new device; null while open. */
  claimed_key: string | null;
  claimed_name: string | null;
  /** base64url HMAC-SHA256 proof of the pairing secret (checked by the creator, not the server). */
  claimed_proof: string | null;
  /** The device registered on approval; null before. */
  device_id: string | null;
  created_at: number;
}

/** How far each device has durably processed each group's log. */
export interface CursorsTable {
  device_id: string;
  group_id: string;
  seq: number;
}

/** The whole database, as Kysely sees it. */
/** The status an account chose for all its devices (PUT /v1/presence/status). Migration 0009. */
export interface AccountStatusesTable {
  account_id: string;
  /** online | idle | dnd | invisible */
  status: string;
  /** Custom status text; null when none. */
  text: string | null;
  /** When the custom text expires (ms); null: never. An expired text is kept but never served. */
  until: number | null;
  /** When it was set (ms): the latest write wins. */
  set_at: number;
}

/** An account's recovery key, backup, pending restore nonce and failed attempts. Migration 0010. */
export interface AccountRecoveryTable {
  account_id: string;
  /** Ed25519 public key derived from the recovery key (base64url). */
  public_key: string;
  created_at: number;
  /** The sealed account backup (base64url); null until one is stored. */
  backup: string | null;
  backup_updated_at: number | null;
  /** The pending restore nonce; null when none (single use). */
  nonce: string | null;
  nonce_expires_at: number | null;
  /** Failed restore attempts since the last success (or since the key was set). */
  failures: number;
  last_failure_at: number | null;
}

/** A group a restored device may join by external commit. Migration 0010. */
export interface RecoveryRejoinsTable {
  device_id: string;
  group_id: string;
  created_at: number;
}

/** Application messages held as ciphertext until their release time. Migration 0011. */
export interface ScheduledMessagesTable {
  message_id: string;
  group_id: string;
  account_id: string;
  /** The device the message is sent as (the one that last encrypted it). */
  device_id: string;
  epoch: number;
  ciphertext: string;
  /** JSON array of MessageDeclaration; null when none. */
  declares: string | null;
  /** When to append it to the log (ms). */
  release_at: number;
  /** The recurring schedule it is an occurrence of; null for a one-off. */
  series_id: string | null;
  created_at: number;
  /** When a node claimed it for release (ms); null while waiting. */
  claimed_at: number | null;
  /** The error code its release was refused with; null unless refused. */
  failure: string | null;
}

/** One upload and, once its hash is checked, the blob it became. Migration 0012. */
export interface BlobsTable {
  /** The tus upload id. */
  id: string;
  /** The SHA-256 (base64url) the ciphertext must hash to; the blob's id once complete. */
  blob_id: string;
  group_id: string;
  /** The account that created the upload (its quota is charged). */
  account_id: string;
  /** Ciphertext bytes (the upload's length). */
  size: number;
  /** "uploading" | "complete" | "removed". */
  state: string;
  created_at: number;
  /** When it is removed unless a message points at it by then (ms); null once one does. */
  expires_at: number | null;
}

/** Which messages point at which blobs. Migration 0012. */
export interface MessageBlobsTable {
  group_id: string;
  message_id: string;
  blob_id: string;
  /** The message's seq in the group's log. */
  seq: number;
  /** The device that sent the message. */
  sender_device_id: string;
  created_at: number;
}

/** An account of another server (migration 0014): its home server and handle there. */
export interface FederationAccountsTable {
  account_id: string;
  server: string;
  user_handle: string;
  /** When its home server last described it (ms). */
  fetched_at: number;
}

/** A group this server mirrors from its hub (migration 0014). */
export interface FederationGroupsTable {
  group_id: string;
  hub: string;
  /** The hub's seq this server's copy of the log reaches. */
  mirrored_seq: Generated<number>;
}

/** An account that moved from this server to another (migration 0015), by the handle it had here. */
export interface AccountMovesTable {
  handle: string;
  account_id: string;
  /** The handle it moved to, `user@server`. */
  moved_to: string;
  moved_at: number;
  /** The device's signed move (`AccountMove`, JSON). */
  record: string;
}

/** A note still to be sent to another server (migration 0015): a signed POST of `body` to `path`. */
export interface FederationOutboxTable {
  id: string;
  server: string;
  /** The federation route, starting with `/federation/v1`. */
  path: string;
  /** The JSON body. */
  body: string;
  created_at: number;
}

/** A community, channel or channel group another server hosts (migration 0016), by id. */
export interface FederationCommunityRefsTable {
  ref_id: string;
  server: string;
}

/** A local account's membership of a community another server hosts (migration 0016). */
export interface FederationCommunitiesTable {
  community_id: string;
  account_id: string;
  server: string;
}

export interface Database extends CommunityTables {
  accounts: AccountsTable;
  devices: DevicesTable;
  auth_nonces: AuthNoncesTable;
  sessions: SessionsTable;
  key_packages: KeyPackagesTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  group_log: GroupLogTable;
  group_trees: GroupTreesTable;
  welcomes: WelcomesTable;
  commit_welcomes: CommitWelcomesTable;
  cursors: CursorsTable;
  device_links: DeviceLinksTable;
  group_admins: GroupAdminsTable;
  group_infos: GroupInfosTable;
  rate_limits: RateLimitsTable;
  account_statuses: AccountStatusesTable;
  account_recovery: AccountRecoveryTable;
  recovery_rejoins: RecoveryRejoinsTable;
  scheduled_messages: ScheduledMessagesTable;
  blobs: BlobsTable;
  message_blobs: MessageBlobsTable;
  api_keys: ApiKeysTable;
  api_key_devices: ApiKeyDevicesTable;
  federation_accounts: FederationAccountsTable;
  federation_groups: FederationGroupsTable;
  account_moves: AccountMovesTable;
  federation_outbox: FederationOutboxTable;
  federation_community_refs: FederationCommunityRefsTable;
  federation_communities: FederationCommunitiesTable;
}
