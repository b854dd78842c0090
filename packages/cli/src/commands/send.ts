import type { Command } from "commander";
import type { Run } from "../output.js";
import { withClient } from "../with-client.js";

/** `volly send TARGET TEXT`: exits 0 only once the server has stored the message durably. */
export function registerSend(program: Command, run: Run) {
  program
    .command("send")
    .description("send a message; exits 0 once the server has stored it durably")
    .argument("<target>", "@handle or a conversation id")
    .argument("<text>", "the message")
    .action((target: string, text: string) =>
      run(async (out, g) => {
        const sent = await withClient(g, async (client) => {
          await client.authenticate();
          await client.connect();
          return client.sendText(target, text);
        });
        out.result(
          { id: sent.id, conversationId: sent.conversationId, seq: sent.seq, sentAt: sent.sentAt },
          `sent ${sent.id}`,
        );
      }),
    );
}
