import { groupMembers } from "@volly/crypto";
import { VollyError } from "@volly/protocol";
import { ownServerNames, typedHandle } from "../account/server-name.js";
import type { MembershipBody, MessageRecord } from "../messaging/message-records.js";
import { buildAddCommit, buildRemoveCommit } from "./commit-builders.js";
import type { ConversationRecord } from "./conversation-records.js";
import type { ConversationServices } from "./conversation-services.js";
import { ensureRoom, lookupAll } from "./creation.js";
import { sendGroupMeta } from "./group-names.js";

/** Device ids of a conversation's current group state (its leaves, RFC 9420 §7.8). */
async function presentDevices(s: ConversationServices, conversationId: string): Promise<Set<string>> {
  return new Set(groupMembers(await s.state.loadGroup(conversationId)).map((m) => m.credential.deviceId));
}

/** Adds every device of these accounts to a group in one commit (see `Conversations.addMembers`). */
export async function addMembers(
  s: ConversationServices,
  conversationId: string,
  handles: string[],
): Promise<ConversationRecord> {
  const conv = await s.state.requireGroup(conversationId);
  const present = await presentDevices(s, conversationId);
  const accounts = (await lookupAll(s, handles)).filter((a) =>
    a.devices.some((d) => !present.has(d.deviceId)),
  );
  if (accounts.length === 0) return conv;
  ensureRoom(present.size, accounts.flatMap((a) => a.devices).filter((d) => !present.has(d.deviceId)).length);
  const claimed = await s.directory.claimVerified(
    accounts.map((account) => ({ account, required: true })),
    present,
    { type: "group-add", groupId: conversationId },
  );
  const updated = await s.commits.commit(conversationId, async (group) => {
    const inGroup = new Set(groupMembers(group).map((m) => m.credential.deviceId));
    const use = claimed.filter((k) => !inGroup.has(k.deviceId));
    return use.length === 0 ? undefined : buildAddCommit(s.ctx.suite, group, use);
  });
  await sendGroupMeta(s, conversationId, updated.title);
  return updated;
}

/** Adds devices of this account to a conversation in one commit (see `ConversationsService.addDevices`). */
export async function addDevices(
  s: ConversationServices,
  conversationId: string,
  deviceIds: readonly string[],
): Promise<ConversationRecord> {
  const conv = await s.state.get(conversationId);
  if (conv.left) return conv;
  const present = await presentDevices(s, conversationId);
  const own = await s.directory.account(s.ctx.profile.handle);
  const devices = own.devices.filter((d) => deviceIds.includes(d.deviceId) && !present.has(d.deviceId));
  if (devices.length === 0) return conv;
  ensureRoom(present.size, devices.length);
  const claimed = await s.directory.claimVerified(
    [{ account: { ...own, devices }, required: true }],
    present,
    { type: "conversation", groupId: conversationId },
  );
  const updated = await s.commits.commit(conversationId, async (group) => {
    const inGroup = new Set(groupMembers(group).map((m) => m.credential.deviceId));
    const use = claimed.filter((k) => !inGroup.has(k.deviceId));
    return use.length === 0 ? undefined : buildAddCommit(s.ctx.suite, group, use);
  });
  if (updated.kind === "group" && !updated.self) await sendGroupMeta(s, conversationId, updated.title);
  return updated;
}

/**
 * Removes every device of `handle` (as typed: see `typedHandle`) from a group in one commit (see
 * `Conversations.removeMember`).
 */
export async function removeMember(
  s: ConversationServices,
  conversationId: string,
  handle: string,
): Promise<ConversationRecord> {
  const conv = await s.state.requireGroup(conversationId);
  const bare = typedHandle(handle, ownServerNames(s.ctx.profile));
  if (bare === s.ctx.profile.handle) {
    throw new VollyError("VOLLY_E_USAGE", "To remove yourself, leave the conversation.");
  }
  const accountId =
    conv.members?.find((m) => m.handle === bare)?.accountId ?? (await s.directory.account(bare)).accountId;
  return s.commits.commit(conversationId, async (group, _conv, excluded) => {
    const leaves = groupMembers(group).filter((m) => m.credential.accountId === accountId);
    if (leaves.length === 0) return undefined;
    return buildRemoveCommit(
      s.ctx.suite,
      group,
      leaves.map((l) => l.leafIndex),
      excluded,
    );
  });
}

/**
 * Leaves a group (see `Conversations.leave`): "You left" in its timeline. The other members' devices
 * record "<you> left" once one of them committed the Remove of this account's last device there.
 */
export async function leave(s: ConversationServices, conversationId: string): Promise<void> {
  const conv = await s.state.get(conversationId);
  if (conv.kind !== "group") throw new VollyError("VOLLY_E_USAGE", "Only group conversations can be left.");
  if (conv.left) return;
  try {
    await s.ctx.api.call("leaveGroup", { params: { groupId: conversationId } });
  } catch (err) {
    // Already out on the server (removed meanwhile): leaving locally is all that is left to do.
    if (!(err instanceof VollyError && err.code === "VOLLY_E_NOT_GROUP_MEMBER")) throw err;
  }
  const at = Date.now();
  const me = s.timeline.self();
  let events: MessageRecord[] = [];
  const left: MembershipBody = { type: "membership", change: "left", actor: me, subjects: [me] };
  await s.state.markLeft(conversationId, {
    end: { reason: "left", at },
    stage: (batch, updated) => {
      events = s.timeline.stage(batch, updated, [left], { at, fromDeviceId: s.ctx.profile.deviceId });
    },
  });
  s.timeline.announce(events);
}

/** The admin account ids of a conversation's group (see `Conversations.admins`). */
export async function admins(s: ConversationServices, conversationId: string): Promise<string[]> {
  await s.state.get(conversationId);
  const group = await s.ctx.api.call("getGroup", { params: { groupId: conversationId } });
  return group.adminAccountIds ?? [];
}

/**
 * Makes the account of `handle` (as typed: see `typedHandle`) an admin of a group (see
 * `Conversations.grantAdmin`).
 */
export async function grantAdmin(
  s: ConversationServices,
  conversationId: string,
  handle: string,
): Promise<string[]> {
  await s.state.get(conversationId);
  const name = typedHandle(handle, ownServerNames(s.ctx.profile));
  const account = await s.directory.account(name);
  const group = await s.ctx.api.call("grantAdmin", {
    params: { groupId: conversationId },
    body: { accountId: account.accountId },
  });
  return group.adminAccountIds ?? [];
}
