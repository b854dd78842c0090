import type { MessageRecord } from "../../messaging/message-records.js";
import type { Stores } from "../stores.js";
import type { StoreMigration } from "./store-migration.js";

/** Messages rewritten per batch (one transaction each). */
const PAGE = 500;

/**
 * Version 1: a message record carries `body: {type: "text", text}` instead of `text` (so other kinds
 * of body can follow). Rewrites every stored message of the old format; records already in the new
 * format, and rows that do not unseal, are left as they are.
 */
export const messageBodyMigration: StoreMigration = {
  version: 1,
  name: "message-body",
  async run(stores: Stores): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await stores.messages.scan(after, PAGE);
      const batch = stores.batch();
      for (const { row, value } of page) {
        const migrated = withBody(value);
        if (migrated) stores.messages.rewrite(batch, row, migrated);
      }
      await batch.commit();
      if (page.length < PAGE) return;
      after = page.at(-1)?.row.id;
    }
  },
};

/** A version-0 message (`text`) as a version-1 one (`body`); undefined when it is not version 0. */
function withBody(value: unknown): MessageRecord | undefined {
  if (typeof value !== "object" || value === null || "body" in value) return undefined;
  const { text, ...rest } = value as Omit<MessageRecord, "body"> & { text?: unknown };
  if (typeof text !== "string") return undefined;
  return { ...rest, body: { type: "text", text } };
}
