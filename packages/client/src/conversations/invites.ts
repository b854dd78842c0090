import { createInvite, fingerprint, inviteWebUrl, parseInvite, verifyInvite } from "@volly/crypto";
import { fromBase64Url, VollyError } from "@volly/protocol";
import { profileServerUrls } from "../account/profile.js";
import type { ClientContext } from "../shared/client-context.js";
import type { ConversationRecord } from "./conversation-records.js";
import type { Conversations } from "./conversations.js";

/** Default invite lifetime: 7 days (ms). */
export const DEFAULT_INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Both forms of one invite. */
export interface InviteLinks {
  /** `volly://invite/<token>` */
  link: string;
  /** `<server>/i/<token>`, opened by the web app. */
  webUrl: string;
  expiresAt: number;
}

/**
 * Invites: a link signed by this device that names the server, the handle and the fingerprint of
 * this device's identity key, so whoever accepts it can detect a directory that lies about keys.
 */
export class Invites {
  constructor(
    private readonly ctx: ClientContext,
    private readonly conversations: Conversations,
  ) {}

  /** Creates a signed invite valid for `ttlMs` (default 7 days). */
  create(ttlMs = DEFAULT_INVITE_TTL_MS): InviteLinks {
    const expiresAt = Date.now() + ttlMs;
    const link = createInvite(
      {
        v: 1,
        server: new URL(this.ctx.profile.serverUrl).origin,
        handle: this.ctx.profile.handle,
        fingerprint: fingerprint(this.ctx.identity.signaturePublicKey),
        expiresAt,
      },
      this.ctx.identity.signaturePrivateKey,
    );
    return { link, webUrl: inviteWebUrl(link), expiresAt };
  }

  /**
   * Verifies an invite (for one of this profile's server URLs; signature, expiry, and that the
   * directory's key for the inviter matches the fingerprint) and opens the direct conversation with
   * the inviter. Throws VOLLY_E_INVITE_INVALID, VOLLY_E_INVITE_EXPIRED, VOLLY_E_INVITE_KEY_MISMATCH,
   * VOLLY_E_UNKNOWN_HANDLE.
   */
  async accept(link: string): Promise<ConversationRecord> {
    const invite = parseInvite(link.trim());
    if (!profileServerUrls(this.ctx.profile).includes(new URL(invite.payload.server).origin)) {
      throw new VollyError(
        "VOLLY_E_INVITE_INVALID",
        `The invite is for another server (${invite.payload.server}).`,
      );
    }
    const account = await this.ctx.api.call("getAccount", { params: { handle: invite.payload.handle } });
    const device = account.devices.find(
      (d) => fingerprint(fromBase64Url(d.signaturePublicKey)) === invite.payload.fingerprint,
    );
    if (!device) throw new VollyError("VOLLY_E_INVITE_KEY_MISMATCH");
    verifyInvite(invite, fromBase64Url(device.signaturePublicKey));
    return this.conversations.openDirect(account, { type: "invite", invite: invite.token });
  }
}
