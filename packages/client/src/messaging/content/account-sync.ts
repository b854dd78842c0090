import type { ContentHandler } from "./content-handler.js";

/**
 * Account sync (AccountSyncContent): a Yjs update of the account's document, applied and projected
 * by `AccountSync`. Only in the account's self conversation.
 */
export const accountSyncHandler: ContentHandler<"account-sync"> = {
  type: "account-sync",
  persistence: "state",
  historyHandOver: false,
  scope: "self",
  async apply({ content, event, batch }, { accountSync }) {
    await accountSync.applyUpdateLocked(content, event.messageId, batch);
    return {};
  },
};
