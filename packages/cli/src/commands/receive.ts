import type { Command } from "commander";
import { messageJson, messageLine } from "../format.js";
import { parseNonNegativeInt } from "../options.js";
import type { Run } from "../output.js";
import { withClient } from "../with-client.js";

/**
 * `volly receive [--timeout S]`: fetch and print new messages, then exit. Notes on stderr: joined
 * conversations, messages that could not be decrypted (by cause), rejoins by external commit and a
 * conversation's notice ("Messages may have been missed"), shown once.
 */
export function registerReceive(program: Command, run: Run) {
  program
    .command("receive")
    .description("fetch, decrypt and print new messages (one JSON object per line with --json)")
    .option("--timeout <seconds>", "keep listening this long after the backlog is in", "0")
    .action((o: { timeout: string }) =>
      run(async (out, g) => {
        const timeout = parseNonNegativeInt("timeout", o.timeout, 86_400);
        await withClient(g, async (client) => {
          let printing = Promise.resolve();
          const printNotices = async () => {
            for (const c of await client.conversations.list()) {
              if (c.notice === undefined) continue;
              out.note(`${c.title} (${c.id}): ${c.notice}`);
              await client.conversations.clearNotice(c.id);
            }
          };
          const printUnseen = () => {
            printing = printing.then(async () => {
              for (const m of await client.messaging.takeUnseen()) out.result(messageJson(m), messageLine(m));
              await printNotices();
            });
            return printing;
          };
          client.messaging.diagnostics.add((d) =>
            out.note(
              `${d.kind} (${d.cause})${d.conversationId ? ` in ${d.conversationId}` : ""}${d.error ? `: ${d.error}` : ""}`,
            ),
          );
          client.sync.joined.add((c) => out.note(`joined conversation ${c.title} (${c.id})`));
          await client.authenticate();
          await client.connect();
          await printUnseen();
          if (timeout > 0) {
            client.messaging.received.add((m) => {
              if (m.direction === "in") void printUnseen();
            });
            await new Promise((r) => setTimeout(r, timeout * 1000));
            await printing;
          }
        });
      }),
    );
}
