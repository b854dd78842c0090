import type { ContentHandler } from "./content-handler.js";

/**
 * A channel history chunk (ChannelHistoryContent), handed by a member device to devices that just
 * joined a community channel: its messages are stored as history, labelled "shared by" the
 * sender, by the devices it is addressed to; the other members note the newcomers as served (see
 * `communities/channel-history.ts`). The chunk itself is not a message. Reactions, pins and
 * moderators' deletions that waited for those messages apply then.
 */
export const channelHistoryHandler: ContentHandler<"channel-history"> = {
  type: "channel-history",
  persistence: "state",
  historyHandOver: false,
  scope: "conversation",
  async apply({ content, event, advanced, batch }, { channelHistory, actions }) {
    const outcome = await channelHistory.receiveLocked(content, event, advanced, batch);
    // After this entry, in the same conversation's queue.
    actions.settleInBackground(outcome.updated ?? []);
    return outcome;
  },
};
