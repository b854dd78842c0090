import {
  type GeneratedKeyPackage,
  groupEpoch,
  joinFromWelcome,
  type MlsGroup,
  welcomeCommitter,
  welcomeKeyPackageRefs,
} from "@volly/crypto";
import { fromBase64Url, VollyError, type WelcomeEvent } from "@volly/protocol";
import type { KeyPackageRecord } from "../account/account-records.js";
import { SELF_CONVERSATION_TITLE, selfConversationId } from "../account/account-sync/self-conversation.js";
import type { MembershipBody, MessageRecord } from "../messaging/message-records.js";
import type { ConversationMember, ConversationRecord } from "./conversation-records.js";
import type { ConversationServices } from "./conversation-services.js";
import { toParty } from "./membership-timeline.js";
import { defaultTitle, formerMembersAfter, nameOf } from "./names.js";

/**
 * Joins the group a Welcome invites this device to (a WELCOME dispatch, `sync/dispatches/`): uses the
 * private half of the key package it names and the ratchet tree served out of band (RFC 9420
 * §12.4.3.1), in the conversation's queue. When another account committed the Welcome (its
 * GroupInfo's signer), a group's timeline gets "<them> added you" — in a conversation that still
 * looks direct, once its name shows it is a group. Throws VOLLY_E_DECRYPT_FAILED (cause
 * "missing-state") when no matching key package is held.
 */
export function acceptWelcome(s: ConversationServices, event: WelcomeEvent): Promise<ConversationRecord> {
  return s.queue.run(event.groupId, async () => {
    const { stores } = s.ctx;
    const known = await stores.conversations.get(event.groupId);
    if (known && !known.left) return known;
    const refs = welcomeKeyPackageRefs(fromBase64Url(event.welcome));
    let record: KeyPackageRecord | undefined;
    for (const ref of refs) {
      record ??= await stores.keyPackages.get(ref);
    }
    if (!record) {
      throw new VollyError("VOLLY_E_DECRYPT_FAILED", "No key package for this welcome.", {
        cause: "missing-state",
      });
    }
    const keyPackage: GeneratedKeyPackage = {
      ref: record.ref,
      keyPackage: fromBase64Url(record.keyPackage),
      privateKeyPackage: fromBase64Url(record.privateKeyPackage),
    };
    const welcome = fromBase64Url(event.welcome);
    const group = await joinFromWelcome(s.ctx.suite, welcome, fromBase64Url(event.ratchetTree), keyPackage);
    const members = await s.directory.membersOf(group);
    const addedBy = await committerOf(s, welcome, keyPackage, group, members);
    const peer = members.length === 1 ? members[0] : undefined;
    const self = members.length === 0 && event.groupId === selfConversationId(s.ctx.profile.accountId);
    const direct = !self && peer !== undefined && known?.kind !== "group";
    const conv: ConversationRecord = {
      id: event.groupId,
      kind: direct ? "direct" : "group",
      title: known?.kind === "group" ? known.title : peer ? nameOf(peer) : defaultTitle(members),
      createdAt: known?.createdAt ?? Date.now(),
      lastSeq: event.seq,
      joinedEpoch: groupEpoch(group),
      members,
      ...(direct ? { peerHandle: peer.handle } : {}),
      ...(known?.lastReadAt !== undefined ? { lastReadAt: known.lastReadAt } : {}),
      ...(known?.readSeq !== undefined ? { readSeq: known.readSeq } : {}),
      ...(self ? { self: true, title: SELF_CONVERSATION_TITLE } : {}),
    };
    const formerMembers = formerMembersAfter(known?.members ?? [], known?.formerMembers ?? [], members);
    if (formerMembers.length > 0) conv.formerMembers = formerMembers;
    if (addedBy && direct) conv.joinedBy = { by: addedBy.member, at: event.createdAt };
    const batch = stores.conversations.save(
      stores.groupStates.put(stores.batch(), event.groupId, group),
      conv,
    );
    let events: MessageRecord[] = [];
    if (addedBy && !direct) {
      const joined: MembershipBody = {
        type: "membership",
        change: "joined",
        actor: toParty(addedBy.member),
        subjects: [s.timeline.self()],
      };
      const origin = { at: event.createdAt, seq: event.seq, fromDeviceId: addedBy.deviceId };
      events = s.timeline.stage(batch, conv, [joined], origin);
    }
    if (direct && !(await s.state.findDirect(peer.handle))) {
      stores.directConversations.put(batch, peer.handle, event.groupId);
    }
    if (!record.lastResort) stores.keyPackages.delete(batch, record.ref);
    await batch.commit();
    s.state.changes.emit(conv);
    s.timeline.announce(events);
    return conv;
  });
}

/**
 * The account that committed the Welcome (the GroupInfo's signer, `welcomeCommitter`), with its
 * committing device, when it is another account; undefined for this account's own devices
 * (linking, a group created with them) or when it cannot be read (reported to diagnostics).
 */
async function committerOf(
  s: ConversationServices,
  welcome: Uint8Array,
  keyPackage: GeneratedKeyPackage,
  group: MlsGroup,
  members: readonly ConversationMember[],
): Promise<{ member: ConversationMember; deviceId: string } | undefined> {
  try {
    const { credential } = await welcomeCommitter(s.ctx.suite, welcome, keyPackage, group);
    if (credential.accountId === s.ctx.profile.accountId) return undefined;
    const member = members.find((m) => m.accountId === credential.accountId) ?? {
      accountId: credential.accountId,
      handle: credential.accountId,
    };
    return { member, deviceId: credential.deviceId };
  } catch (err) {
    s.ctx.diagnostics.report("welcome.committer", err);
    return undefined;
  }
}
