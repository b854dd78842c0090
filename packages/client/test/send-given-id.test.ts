import { messageText } from "@volly/client";
import { newId, VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { inbox, texts, useTestServer } from "./helpers.js";

describe("messaging.send with a caller-given id (SendOptions.id)", () => {
  const bed = useTestServer();

  it("stores a message once per id: a repeat returns the stored message; a bad or foreign id is refused", async () => {
    const [alice, bob, carol] = await bed.clients("alice", "bob", "carol");
    const conv = await alice!.resolveConversation("@bob");
    const other = await alice!.resolveConversation("@carol");
    await waitFor(async () => (await bob!.conversations.list()).length === 1, { message: "bob joins" });
    await waitFor(async () => (await carol!.conversations.list()).length === 1, { message: "carol joins" });
    const bobInbox = inbox(bob!);

    const id = newId();
    const first = await alice!.messaging.send(conv.id, "reading 42", { id });
    expect(first.id).toBe(id);
    const again = await alice!.messaging.send(conv.id, "reading 42", { id });
    expect(again.id).toBe(id);
    await alice!.messaging.send(conv.id, "marker");
    await waitFor(() => bobInbox.length === 2, { message: "bob gets the message and the marker" });
    expect(await texts(bob!, conv.id)).toEqual(["reading 42", "marker"]);
    expect(bobInbox.map((m) => messageText(m))).toEqual(["reading 42", "marker"]);

    const refused = async (p: Promise<unknown>) =>
      p.then(
        () => "sent",
        (e: unknown) => (e instanceof VollyError ? e.code : String(e)),
      );
    expect(await refused(alice!.messaging.send(conv.id, "x", { id: "not-an-id" }))).toBe("VOLLY_E_USAGE");
    expect(await refused(alice!.messaging.send(other.id, "x", { id }))).toBe("VOLLY_E_MESSAGE_ID_CONFLICT");
  });
});
