import { stageOwnDisplayName } from "../../account/account-profile.js";
import { avatarChange, stageOwnAvatar, withAvatar } from "../../account/avatar.js";
import type { ConversationMember, ConversationRecord } from "../../conversations/conversation-records.js";
import type { ContentHandler } from "./content-handler.js";

/**
 * A member's profile (ProfileContent), sent by its account after a change: a new display name
 * (the conversation shows the sender's account under it, a direct conversation takes it as its
 * title, and the directory cache of the sending device is updated) and/or a new or removed avatar
 * (kept on the member; a newer change is not undone by an older message arriving late). From
 * another device of this account, it becomes this device's profile too. Ignored in community
 * channels (their names come from the directory).
 */
export const profileHandler: ContentHandler<"profile"> = {
  type: "profile",
  persistence: "state",
  historyHandOver: false,
  scope: "conversation",
  async apply({ content, event, advanced, batch, own }, { ctx }) {
    const { displayName } = content;
    const avatar = avatarChange(content);
    if (advanced.kind === "channel") {
      await batch.commit();
      return {};
    }
    if (own) {
      if (displayName !== undefined && ctx.profile.displayName !== displayName) {
        stageOwnDisplayName(ctx, batch, displayName);
      }
      if (avatar) stageOwnAvatar(ctx, batch, avatar.avatar);
      await batch.commit();
      return {};
    }
    const accountId = event.senderAccountId;
    const cached = await ctx.stores.devices.get(event.senderDeviceId);
    if (displayName !== undefined && cached && cached.accountId === accountId) {
      ctx.stores.devices.put(batch, event.senderDeviceId, { ...cached, displayName });
    }
    const member = advanced.members?.find((m) => m.accountId === accountId);
    if (!member) {
      await batch.commit();
      return {};
    }
    let next: ConversationMember = displayName !== undefined ? { ...member, displayName } : member;
    if (avatar) next = withAvatar(next, avatar, content.sentAt);
    if (next.displayName === member.displayName && next.avatarAt === member.avatarAt) {
      await batch.commit();
      return {};
    }
    const conv: ConversationRecord = {
      ...advanced,
      members: (advanced.members ?? []).map((m) => (m.accountId === accountId ? next : m)),
    };
    if (displayName !== undefined && advanced.kind === "direct" && advanced.peerHandle === member.handle) {
      conv.title = displayName;
    }
    ctx.stores.conversations.save(batch, conv);
    await batch.commit();
    return { changed: conv };
  },
};
