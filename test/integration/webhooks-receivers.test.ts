import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createWebhookDispatcher,
  type WebhookDispatcher,
} from "../../packages/cli/src/daemon/webhooks/index.js";
import { messageEvent, newSecret } from "../../packages/cli/test/webhooks/receiver.js";
import { removableTempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

// The two receivers of docs/machine-members/webhooks.md (its first ```js and first ```python
// blocks), run exactly as printed — as real processes, a real dispatcher sending to them.
const ROOT = join(import.meta.dirname, "../..");
const DOC = readFileSync(join(ROOT, "docs/machine-members/webhooks.md"), "utf8");

function codeBlock(lang: string): string {
  const fence = "```";
  const match = new RegExp(`${fence}${lang}\\n([\\s\\S]*?)\\n${fence}`).exec(DOC);
  if (!match?.[1]) throw new Error(`no \`\`\`${lang} block in webhooks.md`);
  return match[1];
}

const RECEIVERS: Record<string, (port: number, secrets: string) => ChildProcess> = {
  node: (port, secrets) =>
    spawn(process.execPath, ["--input-type=module", "-e", codeBlock("js")], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), WEBHOOK_SECRETS: secrets },
    }),
  python: (port, secrets) =>
    spawn("python3", ["-c", codeBlock("python")], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), WEBHOOK_SECRETS: secrets },
    }),
};

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function startReceiver(kind: string, port: number, secrets: string): { out: string[]; err: string[] } {
  const child = (RECEIVERS[kind] as (typeof RECEIVERS)[string])(port, secrets);
  const out: string[] = [];
  const err: string[] = [];
  child.stdout?.on("data", (d: Buffer) => out.push(...d.toString().split("\n").filter(Boolean)));
  child.stderr?.on("data", (d: Buffer) => err.push(d.toString()));
  // e.g. python3 missing: the wait below then fails, quoting it (never a skip).
  child.on("error", (e) => err.push(`cannot start the ${kind} receiver: ${e.message}`));
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill();
    await exited;
  });
  return { out, err };
}

async function dispatcherTo(url: string, secrets: string[], logs: string[]): Promise<WebhookDispatcher> {
  const { dir, remove } = removableTempDir("volly-webhooks-doc-");
  const d = await createWebhookDispatcher({
    endpoints: [{ url, secrets }],
    stateDir: dir,
    // The receiver process may still be starting: connection refused is retried quickly.
    retry: { initialDelayMs: 50, maxDelayMs: 200, maxAttempts: 100 },
    log: (line) => logs.push(line),
  });
  cleanups.push(async () => {
    await d.close();
    remove();
  });
  return d;
}

describe("webhooks: the documented receivers verify real deliveries", () => {
  for (const kind of Object.keys(RECEIVERS)) {
    it(`${kind}: verifies with the new secret of a rotation, rejects an unknown secret with 401`, async () => {
      const port = await freePort();
      const [oldSecret, currentSecret] = [newSecret(), newSecret(32)];
      const receiver = startReceiver(kind, port, currentSecret);
      const url = `http://127.0.0.1:${port}/volly`;

      const logs: string[] = [];
      const d = await dispatcherTo(url, [oldSecret, currentSecret], logs);
      const event = messageEvent(`hi from the ${kind} test`);
      d.enqueue(event);
      await waitFor(() => receiver.out.length > 0, {
        message: `the ${kind} receiver's output (stderr: ${receiver.err.join("")})`,
        timeoutMs: 30_000,
      });
      expect(receiver.out.map((l) => JSON.parse(l))).toEqual([{ from: "alice", text: event.text }]);

      // Signed only with a secret the receiver does not know: refused (401), so retried, not printed.
      const strangerLogs: string[] = [];
      const stranger = await dispatcherTo(url, [newSecret()], strangerLogs);
      const forged = messageEvent("forged");
      stranger.enqueue(forged);
      await waitFor(() => strangerLogs.some((l) => l.includes(`${forged.id} attempt 1 failed (HTTP 401)`)), {
        message: "the receiver's 401",
      });
      expect(receiver.out).toHaveLength(1);
    });
  }
});
