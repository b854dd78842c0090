import type { Command } from "commander";
import type { Run } from "../output.js";
import { withClient } from "../with-client.js";

/** `volly conversations`: list this profile's conversations. */
export function registerConversations(program: Command, run: Run) {
  program
    .command("conversations")
    .description("list your conversations")
    .action(() =>
      run(async (out, g) => {
        const list = await withClient(g, (client) => client.conversations.list());
        for (const c of list) {
          out.result(
            { id: c.id, kind: c.kind, title: c.title, with: c.peerHandle },
            `${c.id}  ${c.kind}  ${c.title}`,
          );
        }
      }),
    );
}
