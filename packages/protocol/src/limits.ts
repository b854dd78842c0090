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
   * Largest Yjs update in one account-sync content (base64url characters, ~180 KiB of bytes), so
   * the encrypted message stays under `maxMessageChars`.
   */
  maxAccountSyncUpdateChars: 240_000,
  /** Most messages in one history hand-over chunk. */
  maxHistoryChunkMessages: 500,
  /** Largest text in one message (characters). */
  maxTextChars: 64_000,
  /** Most key packages per upload. */
  maxKeyPackagesPerUpload: 100,
  /** Most devices per claim. */
  maxDevicesPerClaim: 1000,
  /** Largest MLS group (member devices); a commit that would make it larger gets VOLLY_E_GROUP_FULL. */
  maxGroupDevices: 1000,
  /** How long a REST auth nonce stays valid (ms). */
  nonceTtlMs: 5 * 60 * 1000,
  /** How long a device link stays claimable (ms). */
  deviceLinkTtlMs: 15 * 60 * 1000,
  /** How long an undelivered log entry is kept by default (ms); configurable per server. */
  retentionMs: 30 * 24 * 60 * 60 * 1000,
  /** How long a REST session token stays valid (ms). */
  sessionTtlMs: 24 * 60 * 60 * 1000,
} as const;
