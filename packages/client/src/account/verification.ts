import { safetyNumber as computeSafetyNumber, formatSafetyNumber, groupMembers } from "@volly/crypto";
import { type AccountEntry, fromBase64Url, isValidHandle, VollyError } from "@volly/protocol";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { ClientContext } from "../shared/client-context.js";
import type { SafetyNumber, Verification } from "./verification-api.js";

/** The SDK's {@link Verification} (see there): `safetyNumber` of @volly/crypto over the client's keys. */
export class VerificationService implements Verification {
  constructor(private readonly ctx: ClientContext) {}

  async safetyNumber(handle: string): Promise<SafetyNumber> {
    const bare = handle.trim().replace(/^@/, "");
    if (!isValidHandle(bare)) throw new VollyError("VOLLY_E_HANDLE_INVALID", undefined, { handle: bare });
    const account = await this.ctx.api.call("getAccount", { params: { handle: bare } });
    const fromGroup = await this.keysFromGroups(account.accountId, bare);
    let local: Uint8Array[];
    let remote: Uint8Array[];
    if (fromGroup) {
      ({ local, remote } = fromGroup);
    } else {
      const own = await this.ctx.api.call("getAccount", { params: { handle: this.ctx.profile.handle } });
      local = keysOf(own);
      remote = keysOf(account);
    }
    if (local.length === 0) local = [this.ctx.identity.signaturePublicKey];
    const result = computeSafetyNumber(
      { accountId: this.ctx.profile.accountId, keys: local },
      { accountId: account.accountId, keys: remote },
    );
    return {
      handle: bare,
      digits: formatSafetyNumber(result.digits),
      qrPayload: result.qrPayload,
      source: fromGroup ? "group" : "directory",
    };
  }

  private async keysFromGroups(
    accountId: string,
    handle: string,
  ): Promise<{ local: Uint8Array[]; remote: Uint8Array[] } | undefined> {
    const convs = (await this.ctx.stores.conversations.list())
      .map(([, c]) => c)
      .filter((c) => !c.left)
      .sort((a, b) => rank(a, handle) - rank(b, handle) || a.createdAt - b.createdAt);
    for (const conv of convs) {
      // A conversation whose state is missing or unreadable cannot vouch for keys: try the next one.
      const group = await this.ctx.stores.groupStates.load(conv.id).catch(() => undefined);
      if (!group) continue;
      const members = groupMembers(group);
      const remote = members.filter((m) => m.credential.accountId === accountId);
      if (remote.length === 0) continue;
      const local = members.filter((m) => m.credential.accountId === this.ctx.profile.accountId);
      return {
        local: local.map((m) => fromBase64Url(m.signaturePublicKey)),
        remote: remote.map((m) => fromBase64Url(m.signaturePublicKey)),
      };
    }
    return undefined;
  }
}

function rank(conv: ConversationRecord, handle: string): number {
  return conv.kind === "direct" && conv.peerHandle === handle ? 0 : 1;
}

function keysOf(account: AccountEntry): Uint8Array[] {
  return account.devices.map((d) => fromBase64Url(d.signaturePublicKey));
}
