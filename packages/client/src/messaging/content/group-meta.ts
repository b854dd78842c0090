import { applyGroupNameLocked } from "../../conversations/group-names.js";
import type { ContentHandler } from "./content-handler.js";

/**
 * A group's name (GroupMetaContent): renames the conversation, and makes a conversation that
 * started as direct (a 2-account group joined by Welcome) a group.
 */
export const groupMetaHandler: ContentHandler<"group-meta"> = {
  type: "group-meta",
  persistence: "state",
  historyHandOver: false,
  scope: "conversation",
  async apply({ content, advanced, batch }, { conversations }) {
    const renamed = await applyGroupNameLocked(conversations, advanced, content.name, batch);
    await batch.commit();
    return { renamed };
  },
};
