import { safetyNumber as computeSafetyNumber, formatSafetyNumber, groupMembers } from "@volly/crypto";
import { type AccountEntry, fromBase64Url, isValidHandle, VollyError } from "@volly/protocol";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { ClientContext } from "../shared/client-context.js";

/** A safety number for one contact: 60 digits (12 groups of 5) and a QR payload. */
export interface SafetyNumber {
  handle: string;
  /** e.g. "12345 67890 …" — identical on both sides when no one lies about keys. */
  digits: string;
  /** Text to encode in a QR code; scanning the other side's code compares both keys. */
  qrPayload: string;
  /** Where the keys came from: this device's MLS group with the contact, or the server's directory. */
  source: "group" | "directory";
}

/**
 * Safety numbers (like Signal's): a fingerprint of both accounts' identity keys, computed from
 * the keys in this device's MLS groups, to detect a server that lies about keys.
 */
export class Verification {
  constructor(private readonly ctx: ClientContext) {}

  /**
   * The safety number with `handle` (see `safetyNumber` in @volly/crypto): both accounts' device
   * signature keys as the leaves of a group this device shares with them carry them (RFC 9420
   * §5.3 credentials; the direct conversation first), or — when there is no shared group — as the
   * directory lists them. A directory that lies about a key therefore shows as a different number
   * on the two sides. Throws VOLLY_E_HANDLE_INVALID, VOLLY_E_UNKNOWN_HANDLE,
   * VOLLY_E_SERVER_UNREACHABLE.
   */
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
