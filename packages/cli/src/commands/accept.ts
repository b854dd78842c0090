import type { Command } from "commander";
import type { Run } from "../output.js";
import { withClient } from "../with-client.js";

/** `volly accept LINK`: verify an invite and open a conversation with its sender. */
export function registerAccept(program: Command, run: Run) {
  program
    .command("accept")
    .description("verify an invite link and open an end-to-end encrypted conversation with its sender")
    .argument("<link>", "volly://invite/… or https://<server>/i/…")
    .action((link: string) =>
      run(async (out, g) => {
        const conv = await withClient(g, (client) => client.invites.accept(link));
        out.result(
          { conversationId: conv.id, with: conv.peerHandle },
          `Conversation with @${conv.peerHandle} ready (${conv.id})`,
        );
      }),
    );
}
