import { formatLinkCode, generateLinkSecret, sign, verifyLinkProof } from "@volly/crypto";
import {
  type DeviceLinkClaimedEvent,
  type RevokeDeviceResponse,
  signingInput,
  toBase64Url,
  VollyError,
} from "@volly/protocol";
import type { ConversationsService } from "../conversations/conversations.js";
import type { ClientContext } from "../shared/client-context.js";
import { ListenerSet } from "../shared/listeners.js";
import type { AccountSyncService } from "./account-sync/account-sync.js";
import type { AccountDevice, ApproveOptions, Devices, LinkedDevice, OpenedLink } from "./devices-api.js";

/** How often adding a just-linked device retries while it has no key package yet (ms). */
const KEY_PACKAGE_RETRY_MS = 500;

/**
 * The SDK's {@link Devices} (see there for each public member): the existing device's side of the
 * flow in `device-links.ts` of @volly/protocol. DEVICE_LINK_CLAIMED dispatches come in through
 * `handleClaimed` (fed by the sync pipeline).
 */
export class DevicesService implements Devices {
  /** Fires for each DEVICE_LINK_CLAIMED dispatch (fed by `Sync`). */
  readonly claims = new ListenerSet<DeviceLinkClaimedEvent>();

  /**
   * @param ctx the open profile
   * @param conversations the conversations service (adds the new device)
   * @param accountSync account sync (the self conversation and hand-over)
   */
  constructor(
    private readonly ctx: ClientContext,
    private readonly conversations: ConversationsService,
    private readonly accountSync: AccountSyncService,
  ) {}

  async startLink(): Promise<OpenedLink> {
    const { linkId, expiresAt } = await this.ctx.api.call("createDeviceLink", {});
    const secret = generateLinkSecret();
    return { code: formatLinkCode(this.ctx.profile.serverUrl, linkId, secret), linkId, secret, expiresAt };
  }

  /** Called by `Sync` with each validated DEVICE_LINK_CLAIMED dispatch. */
  handleClaimed(event: DeviceLinkClaimedEvent): void {
    this.claims.emit(event);
  }

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

  async addToConversations(
    deviceId: string,
    keyPackageWaitMs = 60_000,
  ): Promise<Pick<LinkedDevice, "added" | "failed">> {
    const added: string[] = [];
    const failed: LinkedDevice["failed"] = [];
    const deadline = Date.now() + keyPackageWaitMs;
    const self = await this.accountSync.selfConversation();
    for (const conv of [...(self ? [self] : []), ...(await this.conversations.list())]) {
      // A community channel's group is joined by the new device itself (external commit, `communities/`).
      if (conv.left || conv.kind === "channel") continue;
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
