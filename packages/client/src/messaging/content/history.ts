import type { ContentHandler } from "./content-handler.js";

/**
 * A history hand-over chunk (HistoryChunkContent) for a newly linked device: its messages are stored
 * as history by the device it is addressed to, ignored by the others. Only in the account's self
 * conversation; the chunk itself is not a message. Actions that waited for those messages apply then,
 * and the actions the old device still kept for messages it had not received wait here instead.
 */
export const historyHandler: ContentHandler<"history"> = {
  type: "history",
  persistence: "state",
  historyHandOver: false,
  scope: "self",
  async apply({ content, batch }, { accountSync, actions, ctx }) {
    const stored = await accountSync.importHistoryLocked(content, batch);
    // Actions that came through the conversations' logs before this history: applied now, each in
    // its conversation's queue (this runs in the self conversation's).
    actions.settleInBackground(stored);
    if (content.to === ctx.profile.deviceId && content.pendingActions) {
      actions.adoptHandedOver(content.pendingActions);
    }
    return {};
  },
};
