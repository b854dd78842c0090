/** Size limits shared by server and clients. Explicit, because libraries default to permissive ones. */
export const LIMITS = {
  /**
   * Largest gateway frame a client may send to the server (bytes). A larger one (up to
   * `inboundFrameHardCapBytes`) is answered with ERROR VOLLY_E_FRAME_TOO_LARGE and the connection stays open.
   */
  maxInboundFrameBytes: 64 * 1024,
  /**
   * Gateway frames from a client larger than this (bytes) are not read: the server closes the connection
   * with 1009 (RFC 6455 §7.4.1). Bounds the memory one frame can take before it is refused.
   */
  inboundFrameHardCapBytes: 256 * 1024,
  /** Largest gateway frame the server sends (bytes); clients set their WebSocket maxPayload to this. */
  maxOutboundFrameBytes: 16 * 1024 * 1024,
  /**
   * Deepest nesting of arrays and objects in a JSON request body or gateway frame (the outermost
   * value is depth 1); deeper input is refused with VOLLY_E_BAD_REQUEST before it is parsed. The
   * deepest schema (an ACK frame's cursors) needs 4.
   */
  maxJsonDepth: 32,
  /** Largest REST request body (bytes): the largest commit, 999 devices added with one Welcome and the tree (~7 MiB), fits. */
  maxRequestBodyBytes: 16 * 1024 * 1024,
  /** Largest MLS application message ciphertext, base64url characters (~256 KiB of bytes). */
  maxMessageChars: 350_000,
  /**
   * Largest ephemeral MLS application message (POST /v1/groups/:groupId/ephemeral, the
   * EPHEMERAL_MESSAGE dispatch), base64url characters (~48 KiB of bytes): a call's SDP (at most
   * `CALL_LIMITS.sdpChars`) encrypted with its envelope fits; it is relayed, never stored.
   */
  maxEphemeralChars: 64 * 1024,
  /**
   * Largest Yjs update in one account-sync content (base64url characters, ~180 KiB of bytes), so
   * the encrypted message stays under `maxMessageChars`.
   */
  maxAccountSyncUpdateChars: 240_000,
  /** Most messages in one history hand-over chunk. */
  maxHistoryChunkMessages: 500,
  /** Most devices one channel history chunk is addressed to (more joiners: one bundle per this many). */
  maxHistoryRecipients: 64,
  /** Largest text in one message (characters). */
  maxTextChars: 64_000,
  /** Most key packages per upload. */
  maxKeyPackagesPerUpload: 100,
  /** Most devices per claim. */
  maxDevicesPerClaim: 1000,
  /** Largest MLS group (member devices); a commit that would make it larger gets VOLLY_E_GROUP_FULL. */
  maxGroupDevices: 1000,
  /**
   * Commit size caps (base64url characters; see `commitSizeLimits`): a commit's MLSMessage may be
   * this plus `commitPerAddChars` per added device and `commitPerDeviceChars` per device of the group
   * after the commit. Twice what X-Wing needs (~2.7 KB per Add, ~1.2 KB of UpdatePath per member).
   */
  commitBaseChars: 16 * 1024,
  /** Commit characters allowed per added device (one KeyPackage each, RFC 9420 §12.1.1). */
  commitPerAddChars: 7 * 1024,
  /** Commit characters allowed per device of the group after the commit (UpdatePath, RFC 9420 §12.4.1). */
  commitPerDeviceChars: 3 * 1024,
  /** A commit's Welcome may be this plus `welcomePerAddChars` per added device. */
  welcomeBaseChars: 16 * 1024,
  /** Welcome characters allowed per added device (~1.3 KB of EncryptedGroupSecrets each with X-Wing). */
  welcomePerAddChars: 3 * 1024,
  /** A commit's ratchet tree may be this plus `ratchetTreePerDeviceChars` per device after the commit. */
  ratchetTreeBaseChars: 16 * 1024,
  /** Ratchet tree characters allowed per device (a leaf ~1.45 KB, a parent node ~1.3 KB with X-Wing). */
  ratchetTreePerDeviceChars: 8 * 1024,
  /** Largest GroupInfo a commit may carry (base64url characters; ~1.5 KB with X-Wing, tree not included). */
  groupInfoMaxChars: 64 * 1024,
  /** How long a REST auth nonce stays valid (ms). */
  nonceTtlMs: 5 * 60 * 1000,
  /** How long a device link stays claimable (ms). */
  deviceLinkTtlMs: 15 * 60 * 1000,
  /** How long an undelivered log entry is kept by default (ms); configurable per server. */
  retentionMs: 30 * 24 * 60 * 60 * 1000,
  /** How long a REST session token stays valid (ms). */
  sessionTtlMs: 24 * 60 * 60 * 1000,
} as const;

/** The most characters each part of one commit may have (see {@link commitSizeLimits}). */
export interface CommitSizeLimits {
  /** The commit's MLSMessage (base64url characters). */
  commit: number;
  /** The Welcome (the shared one, and each per-device one). */
  welcome: number;
  /** The new epoch's ratchet tree. */
  ratchetTree: number;
  /** The new epoch's GroupInfo. */
  groupInfo: number;
}

/**
 * How large each part of a commit may be (base64url characters), given the group's size after the
 * commit and the number of devices it adds: about twice what the X-Wing suite needs, so the largest
 * allowed group (LIMITS.maxGroupDevices: 999 devices added to a group of one, ~7 MiB in all) fits,
 * while a commit of a small group cannot carry megabytes. The delivery service refuses a larger part
 * with VOLLY_E_COMMIT_TOO_LARGE.
 *
 * @param groupDevices member devices of the group once the commit is applied (≥ 1)
 * @param addedDevices devices the commit adds (RFC 9420 §12.1.1 Add proposals)
 */
export function commitSizeLimits(groupDevices: number, addedDevices: number): CommitSizeLimits {
  const devices = Math.max(1, groupDevices);
  return {
    commit:
      LIMITS.commitBaseChars +
      addedDevices * LIMITS.commitPerAddChars +
      devices * LIMITS.commitPerDeviceChars,
    welcome: LIMITS.welcomeBaseChars + addedDevices * LIMITS.welcomePerAddChars,
    ratchetTree: LIMITS.ratchetTreeBaseChars + devices * LIMITS.ratchetTreePerDeviceChars,
    groupInfo: LIMITS.groupInfoMaxChars,
  };
}
