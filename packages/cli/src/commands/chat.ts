import { createInterface } from "node:readline";
import { historyStartText, type MessageRecord } from "@volly/client";
import { VollyError } from "@volly/protocol";
import type { Command } from "commander";
import { conversationLabel, fromTypeOf, messageJson, messageLine } from "../format.js";
import { parseNonNegativeInt } from "../options.js";
import type { Output, Run } from "../output.js";
import { withSyncedClient } from "../with-client.js";

/** Clears the terminal's current line (the prompt and whatever was typed after it). */
const CLEAR_LINE = "\r\x1b[2K";
/** Moves up to the line just entered and clears it, so the sent message replaces what was typed. */
const REPLACE_TYPED_LINE = `\x1b[1A${CLEAR_LINE}`;

/**
 * `volly chat TARGET [--history N]`: an interactive conversation. A header line on stderr, then the
 * last N messages and membership events of history, each on its own line. Each line read from stdin
 * is sent and echoed once the server stored it; incoming messages and membership events ("alice
 * added carol") are printed as they arrive. On a terminal
 * it shows a `> ` prompt and replaces the typed line with the sent message; with stdin or stdout a
 * pipe, or with --json, it prints plain lines (one JSON object per message with --json) and no
 * prompt or escape codes, so a script can drive it. `/quit` or the end of input leaves (exit 0).
 * Errors: VOLLY_E_USAGE (--history not 0–1000), those of resolving TARGET; a line that cannot be
 * sent is reported on stderr and the chat goes on; one that waits for the server (unreachable) stays
 * queued in the outbox and goes out once the connection is back.
 */
export function registerChat(program: Command, run: Run) {
  program
    .command("chat")
    .description(
      "interactive chat: type a line and press Enter to send; /quit or Ctrl-D to leave (stdin may be a pipe)",
    )
    .argument("<target>", "@handle or a conversation id")
    .option("--history <n>", "messages of history to show (0-1000)", "20")
    .action((target: string, o: { history: string }) =>
      run(async (out, g) => {
        const historySize = parseNonNegativeInt("history", o.history, 1000);
        await withSyncedClient(g, async (client) => {
          const conv = await client.resolveConversation(target);
          const terminal = !out.json && Boolean(process.stdin.isTTY && process.stdout.isTTY);
          const own = client.profile.accountId;
          const print = (m: MessageRecord, replace = "") => {
            const fromType = fromTypeOf(m, conv, client.profile.entityType);
            const line = messageLine(m, own, fromType);
            out.result(messageJson(m, conv.title, fromType), terminal ? `${replace}${line}` : line);
          };
          // The header first, then the history under it, each on its own line.
          out.note(`— chatting with ${conversationLabel(conv)}; /quit to leave —`);
          if (conv.historyStart) out.note(`— ${historyStartText(conv.historyStart)} —`);
          if (historySize > 0) for (const m of await client.messaging.history(conv.id, historySize)) print(m);
          await client.messaging.takeUnseen(conv.id);
          const rl = createInterface({
            input: process.stdin,
            ...(terminal ? { output: process.stdout, terminal: true } : { terminal: false }),
            prompt: "> ",
          });
          const prompt = () => {
            if (terminal) rl.prompt(true);
          };
          client.messaging.received.add((m) => {
            if (m.direction !== "in" || m.conversationId !== conv.id) return;
            print(m, CLEAR_LINE);
            prompt();
            void client.messaging.takeUnseen(conv.id);
          });
          let leaving = false;
          client.connection.stateChanges.add((s) => {
            // Closing the connection on the way out is not news.
            if (s !== "connected" && !leaving) out.note(`(${s})`);
          });
          prompt();
          let sending = Promise.resolve();
          for await (const line of rl) {
            const text = line.trim();
            if (text === "/quit") break;
            if (!text) {
              prompt();
              continue;
            }
            sending = sending.then(async () => {
              try {
                print(await client.messaging.send(conv.id, text), REPLACE_TYPED_LINE);
              } catch (err) {
                reportUnsent(out, err);
              }
              prompt();
            });
          }
          await sending;
          leaving = true;
          rl.close();
        });
      }),
    );
}

/** Reports a line chat could not send (stderr; JSON with --json) without ending the chat. */
function reportUnsent(out: Output, err: unknown): void {
  const e = err instanceof VollyError ? err : new VollyError("VOLLY_E_INTERNAL", String(err));
  // Messaging.send keeps a message it could not deliver for lack of a server in the outbox.
  const queued = e.code === "VOLLY_E_SERVER_UNREACHABLE";
  process.stderr.write(
    out.json
      ? `${JSON.stringify({ error: e.toBody() })}\n`
      : queued
        ? "(queued, not sent yet: server unreachable; it goes out once the connection is back)\n"
        : `(not sent: ${e.message})\n`,
  );
}
