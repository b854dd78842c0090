import { formatLinkCode, generateLinkSecret, sign, verifyLinkProof } from "@volly/crypto";
import {
  type DeviceLinkClaimedEvent,
  type RevokeDeviceResponse,
  signingInput,
  toBase64Url,
  VollyError,
} from "@volly/protocol";
import type { Conversations } from "../conversations/conversations.js";
import type { ClientContext } from "../shared/client-context.js";
import { ListenerSet } from "../shared/listeners.js";
import type { AccountSync, HandOverResult } from "./account-sync/account-sync.js";

/** A device of this account as `list()` shows it. */
export interface AccountDevice {
  deviceId: string;
  name: string;
  /** ms since the Unix epoch. */
  createdAt: number;
  /** true for the device this client runs on. */
  current: boolean;
}

/** A link this device opened: the pairing code to show (and its parts). */
export interface OpenedLink {
  /** `volly-link:<server origin>/<linkId>.<secret>` — show it as text and QR. */
  code: string;
  linkId: string;
  /** The 16-byte pairing secret (never sent to the server). */
  secret: Uint8Array;
  /** When the link stops being claimable (ms since the Unix epoch). */
  expiresAt: number;
}

/** The outcome of an approved link. */
export interface LinkedDevice {
  deviceId: string;
  name: string;
  /** Conversations the device was added to. */
  added: string[];
  /** Conversations it could not be added to (id and error code); retry with `addToConversations`. */
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
   * false to decline: nothing is approved, the link is declined on the server (POST
   * /v1/device-links/:linkId/decline), so it can be neither claimed nor approved again and the new
   * device's `linkProfile` fails with VOLLY_E_LINK_DECLINED at its next poll, and
   * {@link Devices.waitAndApprove} throws VOLLY_E_LINK_DECLINED. Default: approve.
   */
  confirm?: (claim: DeviceLinkClaimedEvent) => boolean | Promise<boolean>;
}

/** How often adding a just-linked device retries while it has no key package yet (ms). */
const KEY_PACKAGE_RETRY_MS = 500;

/**
 * This account's devices: linking a new one (the existing-device side of the flow in
 * `device-links.ts` of @volly/protocol), listing and revoking them.
 */
export class Devices {
  /** Fires for each DEVICE_LINK_CLAIMED dispatch (fed by `Sync`). */
  readonly claims = new ListenerSet<DeviceLinkClaimedEvent>();

  /**
   * @param ctx the open profile
   * @param conversations the conversations service (adds the new device)
   * @param accountSync account sync (the self conversation and hand-over)
   */
  constructor(
    private readonly ctx: ClientContext,
    private readonly conversations: Conversations,
    private readonly accountSync: AccountSync,
  ) {}

  /**
   * Opens a device link (POST /v1/device-links, valid 15 minutes, single use) and returns its
   * pairing code. Keep the returned secret: it checks the claim's proof in {@link waitAndApprove}.
   * @throws VOLLY_E_SERVER_UNREACHABLE
   */
  async startLink(): Promise<OpenedLink> {
    const { linkId, expiresAt } = await this.ctx.api.call("createDeviceLink", {});
    const secret = generateLinkSecret();
    return { code: formatLinkCode(this.ctx.profile.serverUrl, linkId, secret), linkId, secret, expiresAt };
  }

  /** Called by `Sync` with each validated DEVICE_LINK_CLAIMED dispatch. */
  handleClaimed(event: DeviceLinkClaimedEvent): void {
    this.claims.emit(event);
  }

  /**
   * Waits for the claim of `linkId` (DEVICE_LINK_CLAIMED; the gateway must be connected), checks its
   * proof HMAC-SHA256(secret, linkClaim(linkId, key)) against the pairing secret, approves it with
   * this device's signature over `signingInput.linkApprove(accountId, linkId, key)`, then adds the
   * new device to every conversation of this device (see {@link addToConversations}) and, with
   * account sync, hands the account state and (unless `options.history` is false) the message
   * history over to it through the self conversation, which is created first if needed. With
   * `options.confirm`, the claim is shown to it before approval (see {@link ApproveOptions}).
   *
   * @param timeoutMs how long to wait for the claim (ms)
   * @throws VOLLY_E_LINK_INVALID (the proof does not match: the claim is not approved),
   *   VOLLY_E_LINK_EXPIRED (no claim within the timeout), VOLLY_E_LINK_DECLINED (`confirm` said
   *   no; `details.newDeviceTold` says whether the server recorded the decline — false when it could
   *   not be reached or the link expired meanwhile, and the new device then waits until the link
   *   expires), VOLLY_E_SERVER_UNREACHABLE
   */
  async waitAndApprove(
    linkId: string,
    secret: Uint8Array,
    timeoutMs: number,
    options: ApproveOptions = {},
  ): Promise<LinkedDevice> {
    const claim = await this.waitForClaim(linkId, timeoutMs);
    if (!verifyLinkProof(secret, linkId, claim.signaturePublicKey, claim.proof)) {
      throw new VollyError("VOLLY_E_LINK_INVALID", "The claim's proof does not match the pairing code.");
    }
    if (options.confirm && !(await options.confirm(claim))) throw await this.decline(linkId);
    await this.accountSync.ensureSelfConversation();
    const signature = toBase64Url(
      sign(
        this.ctx.identity.signaturePrivateKey,
        signingInput.linkApprove(this.ctx.profile.accountId, linkId, claim.signaturePublicKey),
      ),
    );
    const { deviceId } = await this.ctx.api.call("approveDeviceLink", {
      params: { linkId },
      body: { signature },
    });
    const added = await this.addToConversations(deviceId);
    const self = await this.accountSync.selfConversation();
    if (!self || added.failed.some((f) => f.conversationId === self.id)) {
      return { deviceId, name: claim.name, ...added };
    }
    const handOver = await this.accountSync.handOver(deviceId, { history: options.history !== false });
    return { deviceId, name: claim.name, ...added, handOver };
  }

  /**
   * Adds a device of this account to every conversation this device is in (one Add commit with a
   * Welcome per conversation, RFC 9420 §12.1.1), the account's self conversation first (it is not
   * reported in `added`). A just-linked device uploads its key packages only after approval, so a
   * missing key package is retried every 500 ms for up to `keyPackageWaitMs`.
   *
   * @param keyPackageWaitMs how long to wait for the device's first key packages (ms)
   */
  async addToConversations(
    deviceId: string,
    keyPackageWaitMs = 60_000,
  ): Promise<{ added: string[]; failed: LinkedDevice["failed"] }> {
    const added: string[] = [];
    const failed: LinkedDevice["failed"] = [];
    const deadline = Date.now() + keyPackageWaitMs;
    const self = await this.accountSync.selfConversation();
    for (const conv of [...(self ? [self] : []), ...(await this.conversations.list())]) {
      if (conv.left) continue;
      for (;;) {
        try {
          await this.conversations.addDevices(conv.id, [deviceId]);
          if (!conv.self) added.push(conv.id);
          break;
        } catch (err) {
          const code = err instanceof VollyError ? err.code : "VOLLY_E_INTERNAL";
          if (code === "VOLLY_E_NO_KEY_PACKAGE" && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, KEY_PACKAGE_RETRY_MS));
            continue;
          }
          failed.push({ conversationId: conv.id, code });
          break;
        }
      }
    }
    return { added, failed };
  }

  /**
   * This account's active devices from the directory (GET /v1/accounts/:handle), oldest first,
   * marking the current one. @throws VOLLY_E_SERVER_UNREACHABLE
   */
  async list(): Promise<AccountDevice[]> {
    // Names and creation times are shown to the account itself only.
    const account = await this.ctx.api.call("getAccount", {
      withSession: true,
      params: { handle: this.ctx.profile.handle },
    });
    return account.devices.map((d) => ({
      deviceId: d.deviceId,
      name: d.name ?? "",
      createdAt: d.createdAt ?? 0,
      current: d.deviceId === this.ctx.profile.deviceId,
    }));
  }

  /**
   * Revokes a device of this account (DELETE /v1/devices/:deviceId): the server ends its sessions
   * and posts a departure in each of its groups; the remaining members commit its Remove
   * (RFC 9420 §12.1.3). @throws VOLLY_E_UNKNOWN_DEVICE, VOLLY_E_SERVER_UNREACHABLE
   */
  async revoke(deviceId: string): Promise<RevokeDeviceResponse> {
    return this.ctx.api.call("revokeDevice", { params: { deviceId } });
  }

  /**
   * Declines the claimed link `linkId` on the server so the new device is told, and returns the
   * VOLLY_E_LINK_DECLINED to throw (`details.newDeviceTold`: whether the server took the decline).
   */
  private async decline(linkId: string): Promise<VollyError> {
    try {
      await this.ctx.api.call("declineDeviceLink", { params: { linkId } });
      return new VollyError("VOLLY_E_LINK_DECLINED", undefined, { linkId, newDeviceTold: true });
    } catch (err) {
      const code = err instanceof VollyError ? err.code : "VOLLY_E_INTERNAL";
      return new VollyError(
        "VOLLY_E_LINK_DECLINED",
        "The claim was declined and nothing was approved, but the server could not record the decline " +
          `(${code}): the new device is not told and waits until the link expires.`,
        { linkId, newDeviceTold: false, reason: code },
      );
    }
  }

  private waitForClaim(linkId: string, timeoutMs: number): Promise<DeviceLinkClaimedEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new VollyError("VOLLY_E_LINK_EXPIRED", "No device claimed the link in time."));
      }, timeoutMs);
      const off = this.claims.add((event) => {
        if (event.linkId !== linkId) return;
        clearTimeout(timer);
        off();
        resolve(event);
      });
    });
  }
}
