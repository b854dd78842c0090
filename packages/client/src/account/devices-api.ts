import type { DeviceLinkClaimedEvent, RevokeDeviceResponse } from "@volly/protocol";
import type { HandOverResult } from "./account-sync/account-sync-api.js";

/** A device of this account as {@link Devices.list} shows it. */
export interface AccountDevice {
  /** The device's id (22 base64url characters). */
  deviceId: string;
  /** The name the device registered with (e.g. "laptop"; "" when it has none). */
  name: string;
  /** When the device was registered (ms since the Unix epoch). */
  createdAt: number;
  /** true for the device this client runs on. */
  current: boolean;
}

/** A link this device opened (see {@link Devices.startLink}): the pairing code to show, and its parts. */
export interface OpenedLink {
  /** `volly-link:<server origin>/<linkId>.<secret>`: show it as text and as a QR code. */
  code: string;
  /** The link's id on the server. */
  linkId: string;
  /** The 16-byte pairing secret (never sent to the server); pass it to {@link Devices.waitAndApprove}. */
  secret: Uint8Array;
  /** When the link stops being claimable (ms since the Unix epoch). */
  expiresAt: number;
}

/** The outcome of {@link Devices.waitAndApprove}: the new device and what it was given. */
export interface LinkedDevice {
  /** The new device's id. */
  deviceId: string;
  /** The name the new device chose. */
  name: string;
  /** Conversations the device was added to. */
  added: string[];
  /**
   * Conversations it could not be added to (id and error code); retry with
   * {@link Devices.addToConversations}.
   */
  failed: Array<{ conversationId: string; code: string }>;
  /**
   * What was handed over through the account's self conversation (account sync): the full account
   * state, and the message history unless `history: false` was asked. Absent when this device is
   * not in the self conversation or the new device could not be added to it.
   */
  handOver?: HandOverResult;
}

/** Options of {@link Devices.waitAndApprove}. */
export interface ApproveOptions {
  /** Hand this device's message history over to the new device (default true, as Signal asks). */
  history?: boolean;
  /**
   * Asked once a claim's proof checked out, before anything is approved: the claim carries the
   * name the new device chose and its Ed25519 public key (base64url; show it as
   * `fingerprint(fromBase64Url(key))` from @volly/crypto, which the new device shows too). Resolve
   * false to decline: nothing is approved, the link is declined on the server, so it can be neither
   * claimed nor approved again, the new device's `linkProfile` fails with VOLLY_E_LINK_DECLINED at
   * its next poll, and {@link Devices.waitAndApprove} throws VOLLY_E_LINK_DECLINED. Default: approve.
   */
  confirm?: (claim: DeviceLinkClaimedEvent) => boolean | Promise<boolean>;
}

/**
 * `client.devices`: this account's devices — linking a new one (this is the existing device's
 * side; the new device runs `linkProfile`, or `linkNodeProfile` / `linkBrowserProfile`), listing
 * and revoking them.
 */
export interface Devices {
  /**
   * Opens a device link on the server (valid 15 minutes, single use) and returns its pairing code,
   * to be entered on the new device. Keep the returned secret: {@link Devices.waitAndApprove} checks
   * the claim's proof with it.
   *
   * @throws VollyError VOLLY_E_SERVER_UNREACHABLE
   */
  startLink(): Promise<OpenedLink>;

  /**
   * Waits for the new device's claim of `linkId` (the gateway must be connected), checks its proof
   * against the pairing secret, approves it with this device's signature, then adds the new device
   * to every conversation of this device and — with account sync — hands the account state and
   * (unless `options.history` is false) the message history over to it through the account's self
   * conversation, which is created first if needed. With `options.confirm` the claim is shown to the
   * user before anything is approved.
   *
   * @param linkId the link's id, from {@link Devices.startLink}
   * @param secret the pairing secret, from {@link Devices.startLink}
   * @param timeoutMs how long to wait for the claim (ms)
   * @throws VollyError VOLLY_E_LINK_INVALID (the proof does not match: nothing is approved),
   *   VOLLY_E_LINK_EXPIRED (no claim within `timeoutMs`), VOLLY_E_LINK_DECLINED (`confirm` said no;
   *   `details.newDeviceTold` says whether the server recorded the decline — when false the new
   *   device waits until the link expires), VOLLY_E_SERVER_UNREACHABLE
   */
  waitAndApprove(
    linkId: string,
    secret: Uint8Array,
    timeoutMs: number,
    options?: ApproveOptions,
  ): Promise<LinkedDevice>;

  /**
   * Adds a device of this account to every conversation this device is in (one commit with a
   * Welcome per conversation, RFC 9420 §12.1.1), the account's self conversation first (not
   * reported in `added`). Community channels are left out: the device joins those itself by external
   * commit when it connects (`Communities.reconcile`). A just-linked device uploads its key packages only after approval, so a
   * missing key package is retried every 500 ms for up to `keyPackageWaitMs`. Failures are reported
   * per conversation, never thrown.
   *
   * @param deviceId the device to add (one of this account's, e.g. {@link LinkedDevice.deviceId})
   * @param keyPackageWaitMs how long to wait for the device's first key packages (ms, default 60,000)
   * @returns the conversations it was added to and those it could not be added to (with the error code)
   */
  addToConversations(
    deviceId: string,
    keyPackageWaitMs?: number,
  ): Promise<Pick<LinkedDevice, "added" | "failed">>;

  /**
   * This account's active devices from the server's directory, oldest first, the one this client
   * runs on marked `current`.
   *
   * @throws VollyError VOLLY_E_SERVER_UNREACHABLE
   */
  list(): Promise<AccountDevice[]>;

  /**
   * Revokes a device of this account: the server ends its sessions and posts a departure in each of
   * its groups, and the remaining members commit its removal (RFC 9420 §12.1.3). The revoked device
   * can no longer connect (VOLLY_E_DEVICE_REVOKED).
   *
   * @param deviceId the device to revoke (see {@link Devices.list})
   * @returns the revoked device's id and in how many groups a departure was posted
   * @throws VollyError VOLLY_E_UNKNOWN_DEVICE, VOLLY_E_SERVER_UNREACHABLE
   */
  revoke(deviceId: string): Promise<RevokeDeviceResponse>;
}
