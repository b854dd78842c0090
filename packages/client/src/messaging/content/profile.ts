import { stageOwnDisplayName } from "../../account/account-profile.js";
import type { ConversationRecord } from "../../conversations/conversation-records.js";
import type { ContentHandler } from "./content-handler.js";

/**
 * A member's display name (ProfileContent), sent by its account after a change: the conversation
 * shows the sender's account under the new name (a direct conversation takes it as its title) and
 * the directory cache of the sending device is updated. From another device of this account, it
 * becomes this device's profile name too. Ignored in community channels (their names come from
 * the directory).
 */
export const profileHandler: ContentHandler<"profile"> = {
  type: "profile",
  persistence: "state",
  historyHandOver: false,
  scope: "conversation",
  async apply({ content, event, advanced, batch, own }, { ctx }) {
    const { displayName } = content;
    if (advanced.kind === "channel") {
      await batch.commit();
      return {};
    }
    if (own) {
      if (ctx.profile.displayName !== displayName) stageOwnDisplayName(ctx, batch, displayName);
      await batch.commit();
      return {};
    }
    const accountId = event.senderAccountId;
    const cached = await ctx.stores.devices.get(event.senderDeviceId);
    if (cached && cached.accountId === accountId) {
      ctx.stores.devices.put(batch, event.senderDeviceId, { ...cached, displayName });
    }
    const member = advanced.members?.find((m) => m.accountId === accountId);
    if (!member || member.displayName === displayName) {
      await batch.commit();
      return {};
    }
    const conv: ConversationRecord = {
      ...advanced,
      members: (advanced.members ?? []).map((m) => (m.accountId === accountId ? { ...m, displayName } : m)),
    };
    if (advanced.kind === "direct" && advanced.peerHandle === member.handle) conv.title = displayName;
    ctx.stores.conversations.save(batch, conv);
    await batch.commit();
    return { changed: conv };
  },
};
