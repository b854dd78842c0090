import { createGroup, generateKeyPackage, publicGroupState } from "@volly/crypto";
import {
  type AccountEntry,
  type ClaimReason,
  LIMITS,
  newId,
  retryClass,
  toBase64Url,
  VollyError,
} from "@volly/protocol";
import { SELF_CONVERSATION_TITLE } from "../account/account-sync/self-conversation.js";
import { ownServerNames, typedHandle } from "../account/server-name.js";
import type { VaultBatch } from "../storage/vault.js";
import { buildAddCommit } from "./commit-builders.js";
import type { ConversationRecord } from "./conversation-records.js";
import type { ConversationServices } from "./conversation-services.js";
import type { ClaimTarget, VerifiedKeyPackage } from "./directory.js";
import { sendGroupMeta } from "./group-names.js";
import { memberOf, validName } from "./names.js";

/**
 * Throws VOLLY_E_GROUP_FULL (details.limit, details.size) when a group of `present` devices cannot
 * take `adding` more within LIMITS.maxGroupDevices. Called before key packages are claimed, so a
 * refused add uses none of them up; the delivery service checks the same limit on every commit.
 */
export function ensureRoom(present: number, adding: number): void {
  const size = present + adding;
  if (size > LIMITS.maxGroupDevices) {
    throw new VollyError("VOLLY_E_GROUP_FULL", undefined, { limit: LIMITS.maxGroupDevices, size });
  }
}

/**
 * Looks the accounts of `handles` up: each as typed (`alice`, `@alice`, `alice@b.example` for
 * another server's account; see `typedHandle`), this account's own handle ignored, duplicates
 * merged. Other servers' accounts are looked up through this client's server. Throws
 * VOLLY_E_HANDLE_INVALID (before any lookup), VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_SERVER_UNREACHABLE,
 * VOLLY_E_FEDERATION_UNREACHABLE, VOLLY_E_FEDERATION_BLOCKED.
 */
export async function lookupAll(s: ConversationServices, handles: string[]): Promise<AccountEntry[]> {
  const own = ownServerNames(s.ctx.profile);
  const wanted = [...new Set(handles.map((h) => typedHandle(h, own)))].filter(
    (h) => h !== s.ctx.profile.handle,
  );
  return Promise.all(wanted.map((h) => s.directory.account(h)));
}

/**
 * Claims verified key packages for every device of `accounts` and this account's other devices,
 * for a new group of this device and them (VOLLY_E_GROUP_FULL, before claiming, when they are too
 * many). This account's devices are skipped when its own directory entry cannot be read.
 *
 * @param reason why the server should hand the packages out (see `Directory.claimVerified`)
 */
export async function claimFor(
  s: ConversationServices,
  accounts: AccountEntry[],
  reason: ClaimReason,
): Promise<VerifiedKeyPackage[]> {
  const targets: ClaimTarget[] = accounts.map((account) => ({ account, required: true }));
  const own = await s.directory.account(s.ctx.profile.handle).catch((err: unknown) => {
    s.ctx.diagnostics.report("conversations.own-devices", err);
    return undefined;
  });
  if (own) targets.push({ account: own, required: false });
  const skip = new Set([s.ctx.profile.deviceId]);
  ensureRoom(1, targets.flatMap((t) => t.account.devices).filter((d) => !skip.has(d.deviceId)).length);
  return s.directory.claimVerified(targets, skip, reason);
}

/**
 * Creates the MLS group (this device at leaf 0, RFC 9420 §11) and the server group, saves the
 * conversation at epoch 0 (with `extra` writes), then commits the Adds of `keyPackages` with one
 * Welcome. If that commit is refused for good (retry class "never") the conversation is erased;
 * a transient failure keeps it with its commit pending.
 */
export async function createWithMembers(
  s: ConversationServices,
  conv: ConversationRecord,
  keyPackages: VerifiedKeyPackage[],
  extra?: (batch: VaultBatch) => void,
): Promise<ConversationRecord> {
  const { ctx } = s;
  const own = await generateKeyPackage(ctx.suite, ctx.identity, {
    accountId: ctx.profile.accountId,
    deviceId: ctx.profile.deviceId,
  });
  const group = await createGroup(ctx.suite, conv.id, own);
  // The delivery service verifies the group's first commit against its epoch-0 GroupInfo and tree.
  const initial = await publicGroupState(ctx.suite, group);
  await ctx.api.call("createGroup", {
    body: {
      groupId: conv.id,
      groupInfo: toBase64Url(initial.groupInfo),
      ratchetTree: toBase64Url(initial.ratchetTree),
    },
  });
  const { stores } = ctx;
  const created: ConversationRecord = { ...conv, joinedEpoch: 0 };
  const batch = stores.conversations.save(stores.groupStates.put(stores.batch(), conv.id, group), created);
  extra?.(batch);
  await batch.commit();
  if (keyPackages.length === 0) return created;
  try {
    return await s.commits.commit(
      conv.id,
      async (g) => buildAddCommit(ctx.suite, g, keyPackages),
      conv.members,
    );
  } catch (err) {
    if (retryClass(err) === "never") {
      const erase = stores.batch();
      stores.conversations.delete(erase, conv.id);
      stores.groupStates.delete(erase, conv.id);
      stores.pendingCommits.delete(erase, conv.id);
      if (conv.kind === "direct" && conv.peerHandle)
        stores.directConversations.delete(erase, conv.peerHandle);
      await erase.commit();
    }
    throw err;
  }
}

/**
 * Creates a group conversation named `name` with every device of the given accounts and this
 * account's other devices (see `Conversations.createGroup`), then sends its name.
 */
export async function createNamedGroup(
  s: ConversationServices,
  name: string,
  handles: string[],
): Promise<ConversationRecord> {
  const title = validName(name);
  const accounts = await lookupAll(s, handles);
  const id = newId();
  const keyPackages = await claimFor(s, accounts, { type: "group-add", groupId: id });
  const conv: ConversationRecord = {
    id,
    kind: "group",
    title,
    groupName: title,
    createdAt: Date.now(),
    lastSeq: 0,
    members: accounts.map(memberOf).sort((a, b) => a.handle.localeCompare(b.handle)),
  };
  const created = await createWithMembers(s, conv, keyPackages);
  await sendGroupMeta(s, created.id, title);
  s.state.named.emit(created);
  return created;
}

/**
 * Creates the account's own sync conversation (see `account/account-sync/`) under `id` with this
 * account's other devices that have key packages (one commit of Adds with one Welcome, RFC 9420
 * §12.1.1). The record is marked `self` and never listed.
 *
 * @param id the deterministic self-conversation id of this account
 * @throws VOLLY_E_GROUP_EXISTS (another device created it), VOLLY_E_KEY_PACKAGE_FOREIGN,
 *   VOLLY_E_SERVER_UNREACHABLE
 */
export async function createSelfConversation(
  s: ConversationServices,
  id: string,
): Promise<ConversationRecord> {
  const keyPackages = await claimFor(s, [], { type: "group-add", groupId: id });
  const conv: ConversationRecord = {
    id,
    kind: "group",
    title: SELF_CONVERSATION_TITLE,
    createdAt: Date.now(),
    lastSeq: 0,
    members: [],
    self: true,
  };
  return createWithMembers(s, conv, keyPackages);
}
