import type { MessageRecord } from "@volly/client";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { useTestServer } from "./helpers.js";

describe("history, page by page back (`before`)", () => {
  const bed = useTestServer();

  it("pages from the newest to the first message with no gap or repeat; a bad cursor is refused", async () => {
    const [alice, bob] = await bed.clients("alice", "bob");
    const conv = await alice!.resolveConversation("@bob");
    for (let i = 1; i <= 8; i++) await alice!.messaging.send(conv.id, `m${i}`);
    await waitFor(async () => (await bob!.messaging.history(conv.id)).length >= 8, { message: "8 messages" });
    const all = await bob!.messaging.history(conv.id, 100);

    const pages: MessageRecord[][] = [];
    let page = await bob!.messaging.history(conv.id, 3);
    while (page.length > 0) {
      pages.unshift(page);
      if (page.length < 3) break;
      page = await bob!.messaging.history(conv.id, 3, page[0]);
    }
    expect(pages.slice(1).every((p) => p.length === 3)).toBe(true);
    expect(pages.flat().map((m) => m.id)).toEqual(all.map((m) => m.id));

    await expect(bob!.messaging.history(conv.id, 3, { id: "x", sentAt: Number.NaN })).rejects.toMatchObject({
      code: "VOLLY_E_USAGE",
    });
  });
});
