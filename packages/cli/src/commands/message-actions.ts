import type { MessageAction, VollyClient } from "@volly/client";
import type { Command } from "commander";
import { actionJson } from "../format.js";
import type { Output, Run } from "../output.js";
import { withClient } from "../with-client.js";

/**
 * `volly react CONV MSGID EMOJI [--remove]`, `volly edit CONV MSGID TEXT`, `volly delete CONV MSGID
 * [--for-me]` (for everyone; `--for-me`: from this device only, offline, prints
 * `{deleted, conversationId, scope: "me"}`), `volly pin CONV MSGID`, `volly unpin CONV MSGID`: an action on a message of a
 * conversation (CONV: @handle, a conversation id or a community channel id), sent encrypted to every
 * member; exits 0 once the server stored it and prints the action (`--json`: the object `volly
 * receive --json` prints for it). Refused (not the sender, no MANAGE_MESSAGES): exit 6 with the
 * error code; unknown message: exit 4; server unreachable: exit 5.
 */
export function registerMessageActions(program: Command, run: Run) {
  program
    .command("react")
    .description("react to a message (one reaction per emoji per account; --remove takes it back)")
    .argument("<conv>", "@handle, a conversation id or a community channel id")
    .argument("<msgid>", "the message's id")
    .argument("<emoji>", "the reaction (an emoji; 1 to 32 characters)")
    .option("--remove", "take the reaction back")
    .action((conv: string, id: string, emoji: string, o: { remove?: boolean }) =>
      withConversation(run, conv, (c, convId) =>
        o.remove ? c.messaging.unreact(convId, id, emoji) : c.messaging.react(convId, id, emoji),
      ),
    );
  program
    .command("edit")
    .description("replace the text of one of your messages on every device")
    .argument("<conv>", "@handle, a conversation id or a community channel id")
    .argument("<msgid>", "the message's id")
    .argument("<text>", "the new text")
    .action((conv: string, id: string, text: string) =>
      withConversation(run, conv, (c, convId) => c.messaging.edit(convId, id, text)),
    );
  program
    .command("delete")
    .description(
      "delete a message for everyone (your own; in a community channel anyone's with MANAGE_MESSAGES): " +
        "the server removes it and every device shows it deleted",
    )
    .argument("<conv>", "@handle, a conversation id or a community channel id")
    .argument("<msgid>", "the message's id")
    .option("--for-me", "remove it from this device only (nothing is sent; other devices and people keep it)")
    .action((conv: string, id: string, o: { forMe?: boolean }) =>
      o.forMe
        ? deleteForMe(run, conv, id)
        : withConversation(run, conv, async (c, convId) => {
            const action = await c.messaging.delete(convId, id, "everyone");
            if (!action) throw new Error("A deletion for everyone returns its action.");
            return action;
          }),
    );
  for (const [name, pinned] of [
    ["pin", true],
    ["unpin", false],
  ] as const) {
    program
      .command(name)
      .description(`${name} a message for the conversation (in a community channel: needs MANAGE_MESSAGES)`)
      .argument("<conv>", "@handle, a conversation id or a community channel id")
      .argument("<msgid>", "the message's id")
      .action((conv: string, id: string) =>
        withConversation(run, conv, (c, convId) =>
          pinned ? c.messaging.pin(convId, id) : c.messaging.unpin(convId, id),
        ),
      );
  }
}

/** Connects, resolves CONV and runs one action, then prints it. */
function withConversation(
  run: Run,
  conv: string,
  fn: (client: VollyClient, conversationId: string) => Promise<MessageAction>,
): Promise<void> {
  return run(async (out, g) => {
    await withClient(g, async (client) => {
      await client.authenticate();
      await client.connect();
      const { id } = await client.resolveConversation(conv);
      print(out, await fn(client, id));
    });
  });
}

/** `volly delete CONV MSGID --for-me`: removes the message from this device's store only (no server). */
function deleteForMe(run: Run, conv: string, id: string): Promise<void> {
  return run(async (out, g) => {
    await withClient(g, async (client) => {
      const { id: convId } = await client.resolveConversation(conv);
      await client.messaging.delete(convId, id, "me");
      out.result({ deleted: id, conversationId: convId, scope: "me" }, `deleted ${id} on this device`);
    });
  });
}

function print(out: Output, action: MessageAction): void {
  out.result(actionJson(action), `${action.type} ${action.targetId}: done`);
}
