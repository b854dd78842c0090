import type { ContentHandler } from "./content-handler.js";

/**
 * A history hand-over chunk (HistoryChunkContent) for a newly linked device: its messages are stored
 * as history by the device it is addressed to, ignored by the others. Only in the account's self
 * conversation; the chunk itself is not a message. Actions that waited for those messages apply then.
 */
export const historyHandler: ContentHandler<"history"> = {
  type: "history",
  persistence: "state",
  historyHandOver: false,
  scope: "self",
  async apply({ content, batch }, { accountSync, actions }) {
    const stored = await accountSync.importHistoryLocked(content, batch);
    // Actions that came through the conversations' logs before this history: applied now, each in
    // its conversation's queue (this runs in the self conversation's).
    actions.settleInBackground(stored);
    return {};
  },
};
