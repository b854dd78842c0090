import { safetyNumber as computeSafetyNumber, formatSafetyNumber, groupMembers } from "@volly/crypto";
import { type AccountEntry, fromBase64Url, toBase64Url, VollyError } from "@volly/protocol";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { ClientContext } from "../shared/client-context.js";
import { ListenerSet } from "../shared/listeners.js";
import type { AccountSyncService } from "./account-sync/account-sync.js";
import { ownServerNames, typedHandle } from "./server-name.js";
import type { SafetyNumber, ScanResult, Verification, VerificationState } from "./verification-api.js";

/** The keys a safety number is computed from, and where they came from. */
interface Keys {
  account: AccountEntry;
  local: Uint8Array[];
  remote: Uint8Array[];
  source: "group" | "directory";
}

/**
 * The SDK's {@link Verification} (see there): `safetyNumber` of @volly/crypto over the client's
 * keys, and the verified marks kept in the account document (synced to the account's devices).
 */
export class VerificationService implements Verification {
  readonly changes = new ListenerSet<VerificationState>();

  constructor(
    private readonly ctx: ClientContext,
    private readonly accountSync?: Pick<AccountSyncService, "verification" | "setVerification">,
  ) {}

  async safetyNumber(handle: string): Promise<SafetyNumber> {
    const name = this.handleOf(handle);
    return this.numberOf(name, await this.keys(name));
  }

  async state(handle: string): Promise<VerificationState> {
    const name = this.handleOf(handle);
    const keys = await this.keys(name);
    const mark = await this.sync().verification(keys.account.accountId);
    if (!mark) return { handle: name, state: "unverified" };
    const current = await keysFingerprint(keys.remote);
    return { handle: name, state: current === mark.keys ? "verified" : "changed", verifiedAt: mark.at };
  }

  async markVerified(handle: string): Promise<VerificationState> {
    const name = this.handleOf(handle);
    const keys = await this.keys(name);
    const at = Date.now();
    await this.sync().setVerification(keys.account.accountId, {
      handle: name,
      keys: await keysFingerprint(keys.remote),
      at,
    });
    const state: VerificationState = { handle: name, state: "verified", verifiedAt: at };
    this.changes.emit(state);
    return state;
  }

  async unmarkVerified(handle: string): Promise<VerificationState> {
    const name = this.handleOf(handle);
    const keys = await this.keys(name);
    await this.sync().setVerification(keys.account.accountId, undefined);
    const state: VerificationState = { handle: name, state: "unverified" };
    this.changes.emit(state);
    return state;
  }

  async compareScanned(handle: string, scanned: string): Promise<ScanResult> {
    const name = this.handleOf(handle);
    const keys = await this.keys(name);
    const own = this.numberOf(name, keys);
    if (scanned.trim() !== own.qrPayload) {
      return { match: false, state: await this.state(name) };
    }
    return { match: true, state: await this.markVerified(name) };
  }

  private sync(): Pick<AccountSyncService, "verification" | "setVerification"> {
    if (!this.accountSync) throw new VollyError("VOLLY_E_USAGE", "Verification marks need account sync.");
    return this.accountSync;
  }

  /** `handle` as typed, as this client's server names the account (VOLLY_E_HANDLE_INVALID; see `typedHandle`). */
  private handleOf(handle: string): string {
    return typedHandle(handle, ownServerNames(this.ctx.profile));
  }

  private numberOf(handle: string, keys: Keys): SafetyNumber {
    const result = computeSafetyNumber(
      { accountId: this.ctx.profile.accountId, keys: keys.local },
      { accountId: keys.account.accountId, keys: keys.remote },
    );
    return {
      handle,
      digits: formatSafetyNumber(result.digits),
      qrPayload: result.qrPayload,
      source: keys.source,
    };
  }

  private async keys(name: string): Promise<Keys> {
    const account = await this.ctx.api.call("getAccount", { params: { handle: name } });
    const fromGroup = await this.keysFromGroups(account.accountId, name);
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
    return { account, local, remote, source: fromGroup ? "group" : "directory" };
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

/**
 * SHA-256 (WebCrypto) of a contact's device keys sorted bytewise and concatenated, base64url: what a
 * verified mark remembers. Any added, removed or substituted key changes it.
 *
 * @param keys 32-byte Ed25519 public keys, in any order
 */
export async function keysFingerprint(keys: readonly Uint8Array[]): Promise<string> {
  const sorted = [...keys].sort(compareBytes);
  const joined = new Uint8Array(sorted.reduce((n, k) => n + k.length, 0));
  let offset = 0;
  for (const key of sorted) {
    joined.set(key, offset);
    offset += key.length;
  }
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", joined)));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function rank(conv: ConversationRecord, handle: string): number {
  return conv.kind === "direct" && conv.peerHandle === handle ? 0 : 1;
}

function keysOf(account: AccountEntry): Uint8Array[] {
  return account.devices.map((d) => fromBase64Url(d.signaturePublicKey));
}
