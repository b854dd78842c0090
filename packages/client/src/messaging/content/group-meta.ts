import { applyGroupNameLocked } from "../../conversations/group-names.js";
import type { ContentHandler } from "./content-handler.js";

/**
 * A group's name (GroupMetaContent): renames the conversation (a rename is a membership event in its
 * timeline), and makes a conversation that started as direct (a 2-account group joined by Welcome)
 * a group. Ignored in a community channel's conversation (the channel's name comes from the
 * community's records).
 */
export const groupMetaHandler: ContentHandler<"group-meta"> = {
  type: "group-meta",
  persistence: "state",
  historyHandOver: false,
  scope: "conversation",
  async apply({ content, event, advanced, batch }, { conversations }) {
    if (advanced.kind === "channel") {
      // A channel's name is its community's record, not something a member announces: ignored.
      await batch.commit();
      return {};
    }
    const origin = {
      accountId: event.senderAccountId,
      at: content.sentAt,
      seq: event.seq,
      fromDeviceId: event.senderDeviceId,
    };
    const { conv, events } = await applyGroupNameLocked(conversations, advanced, content.name, batch, origin);
    await batch.commit();
    return { renamed: conv, events };
  },
};
