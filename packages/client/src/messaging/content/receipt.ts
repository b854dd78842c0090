import type { ContentHandler } from "./content-handler.js";

/**
 * Delivery and read receipts (ReceiptContent): move the referenced outgoing messages' status
 * forward; never a message of their own, never answered with a receipt.
 */
export const receiptHandler: ContentHandler<"receipt"> = {
  type: "receipt",
  persistence: "state",
  historyHandOver: false,
  scope: "conversation",
  async apply({ content, event, advanced, batch }, { receipts }) {
    const updated = await receipts.applyLocked(advanced, event.senderAccountId, content, batch);
    await batch.commit();
    return { updated };
  },
};
