import { createInterface } from "node:readline";
import type { MessageRecord } from "@volly/client";
import { VollyError } from "@volly/protocol";
import type { Command } from "commander";
import { messageLine } from "../format.js";
import type { Run } from "../output.js";
import { withClient } from "../with-client.js";

/** `volly chat TARGET`: interactive conversation — type to send, messages appear live. */
export function registerChat(program: Command, run: Run) {
  program
    .command("chat")
    .description("interactive chat: type a line and press Enter to send; /quit or Ctrl-D to leave")
    .argument("<target>", "@handle or a conversation id")
    .option("--history <n>", "messages of history to show", "20")
    .action((target: string, o: { history: string }) =>
      run(async (out, g) => {
        await withClient(g, async (client) => {
          await client.ctx.auth.getToken();
          await client.connect();
          const conv = await client.resolveConversation(target);
          const show = (m: MessageRecord) => {
            if (m.conversationId !== conv.id) return;
            if (out.json) out.result(m, "");
            else process.stdout.write(`\r${messageLine(m)}\n`);
            rl.prompt(true);
          };
          const history = await client.ctx.vault.listMessages<MessageRecord>(
            conv.id,
            Number(o.history) || 20,
          );
          for (const m of history) process.stdout.write(`${messageLine(m)}\n`);
          await client.messaging.takeUnseen(conv.id);
          out.note(`— chatting with ${conv.title}; /quit to leave —`);
          const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: "> " });
          client.messaging.received.add((m) => {
            if (m.direction === "in") {
              show(m);
              void client.messaging.takeUnseen(conv.id);
            }
          });
          client.connection.stateChanges.add((s) => {
            if (s !== "connected") out.note(`(${s})`);
          });
          rl.prompt();
          let sending = Promise.resolve();
          for await (const line of rl) {
            const text = line.trim();
            if (text === "/quit") break;
            if (!text) {
              rl.prompt();
              continue;
            }
            sending = sending.then(async () => {
              try {
                const sent = await client.messaging.send(conv.id, text);
                process.stdout.write(`\x1b[1A\r\x1b[2K${messageLine(sent)}\n`);
              } catch (err) {
                const e = err instanceof VollyError ? err : new VollyError("VOLLY_E_INTERNAL", String(err));
                process.stderr.write(`(not sent yet: ${e.message})\n`);
              }
              rl.prompt();
            });
          }
          await sending;
          rl.close();
        });
      }),
    );
}
