import { createInvite, fingerprint, inviteWebUrl, parseInvite, verifyInvite } from "@volly/crypto";
import { fromBase64Url, VollyError } from "@volly/protocol";
import { profileServerUrls } from "../account/profile.js";
import type { ClientContext } from "../shared/client-context.js";
import type { ConversationRecord } from "./conversation-records.js";
import type { ConversationsService } from "./conversations.js";
import type { InviteLinks, Invites } from "./invites-api.js";

/** Default invite lifetime: 7 days (ms). */
export const DEFAULT_INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** The SDK's {@link Invites} (see there): made with the invite functions of @volly/crypto. */
export class InvitesService implements Invites {
  constructor(
    private readonly ctx: ClientContext,
    private readonly conversations: ConversationsService,
  ) {}

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
