import { createInvite, fingerprint, inviteWebUrl, parseInvite, verifyInvite } from "@volly/crypto";
import { fromBase64Url, type InvitePayload, parseHandle, VollyError } from "@volly/protocol";
import { ownServerNames, serverNameOfUrl } from "../account/server-name.js";
import type { ClientContext } from "../shared/client-context.js";
import type { ConversationRecord } from "./conversation-records.js";
import type { ConversationsService } from "./conversations.js";
import type { InviteLinks, Invites } from "./invites-api.js";

/** Default invite lifetime: 7 days (ms). */
export const DEFAULT_INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The handle of an invite's inviter as this client's server names that account: `payload.handle`
 * bare when the invite's `server` is this client's server (its host is one of `ownServers`), else
 * qualified by that server's name (`alice@b.example`, looked up through this client's server).
 *
 * @param payload the invite's payload (schema-checked: `server` an http(s) origin, `handle` local)
 * @param ownServers this client's server name(s) (see `ownServerNames`)
 * @throws VollyError VOLLY_E_INVITE_INVALID when `server` is not an origin with a valid server
 *   name (e.g. it carries user info or a query, or its host is an IPv6 literal of another server)
 */
export function inviterHandle(
  payload: Pick<InvitePayload, "server" | "handle">,
  ownServers: readonly string[],
): string {
  let server = "";
  try {
    const url = new URL(payload.server);
    // An origin only: no user info, query or fragment hiding what the link shows.
    if (!url.username && !url.password && !url.search && !url.hash) server = serverNameOfUrl(payload.server);
  } catch {
    // Not a URL: refused below.
  }
  if (server !== "" && ownServers.includes(server)) return payload.handle;
  const parts = parseHandle(`${payload.handle}@${server}`);
  if (!parts?.server || parts.user !== payload.handle) {
    throw new VollyError("VOLLY_E_INVITE_INVALID", `The invite names no valid server (${payload.server}).`);
  }
  return `${parts.user}@${parts.server}`;
}

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
    // An invite from another server: its inviter is looked up there, through this client's server.
    const handle = inviterHandle(invite.payload, ownServerNames(this.ctx.profile));
    const account = await this.ctx.api.call("getAccount", { params: { handle } });
    const device = account.devices.find(
      (d) => fingerprint(fromBase64Url(d.signaturePublicKey)) === invite.payload.fingerprint,
    );
    if (!device) throw new VollyError("VOLLY_E_INVITE_KEY_MISMATCH");
    verifyInvite(invite, fromBase64Url(device.signaturePublicKey));
    return this.conversations.openDirect(account, { type: "invite", invite: invite.token });
  }
}
