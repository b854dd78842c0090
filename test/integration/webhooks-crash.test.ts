import { spawn } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createWebhookDispatcher } from "../../packages/cli/src/daemon/webhooks/index.js";
import { messageEvent, newSecret, Receiver, verify } from "../../packages/cli/test/webhooks/receiver.js";
import { removableTempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

// A process that queues an event and is then killed with SIGKILL (no close(), no clean exit):
// the next dispatcher on the same state dir still delivers it, once. Runs the built module
// (`npm run build` first), as `volly daemon` does.
const MODULE = pathToFileURL(
  join(import.meta.dirname, "../../packages/cli/dist/daemon/webhooks/index.js"),
).href;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("webhooks: a crash loses no queued delivery", () => {
  it("queued by a process killed with SIGKILL, delivered once by the next dispatcher", async () => {
    // While the first process runs, the endpoint accepts connections and never answers: its attempt
    // is still in flight when it is killed, so nothing about it was recorded (a refused connection
    // would record a failure and a retry a minute later, before the kill on a busy machine).
    const held: Socket[] = [];
    const blackHole = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
    const port = (blackHole.address() as { port: number }).port;
    const closeBlackHole = async () => {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    };
    cleanups.push(() => (blackHole.listening ? closeBlackHole() : undefined));
    const { dir, remove } = removableTempDir("volly-webhooks-crash-");
    cleanups.push(remove);
    const secret = newSecret();
    const endpoints = [{ url: `http://127.0.0.1:${port}/hooks`, secrets: [secret] }];
    const event = messageEvent("survives kill -9");

    const script = `
      import { createWebhookDispatcher } from ${JSON.stringify(MODULE)};
      const d = await createWebhookDispatcher(${JSON.stringify({ endpoints, stateDir: dir, retry: { initialDelayMs: 60_000 } })});
      d.enqueue(${JSON.stringify(event)});
      console.log("queued");
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    });
    await waitFor(() => out.includes("queued"), {
      message: `the child to queue (stderr: ${err})`,
      timeoutMs: 30_000,
    });
    // Killed with its attempt in flight, once the endpoint holds its connection.
    await waitFor(() => held.length > 0, { message: "the child's attempt to connect", timeoutMs: 30_000 });
    child.kill("SIGKILL");
    await exited;
    await closeBlackHole();

    const up = new Receiver();
    await up.start(port);
    cleanups.push(() => up.stop());
    const logs: string[] = [];
    const d = await createWebhookDispatcher({ endpoints, stateDir: dir, log: (l) => logs.push(l) });
    cleanups.push(() => d.close());
    await waitFor(() => up.withId(event.id).length === 1, { message: "the delivery after the crash" });
    expect(logs).toContain(`webhook http://127.0.0.1:${port}/hooks: 1 queued deliveries resumed`);
    expect(verify(secret, up.received[0] as NonNullable<(typeof up.received)[0]>)).toEqual(event);
    // Delivered once: a later event arrives after it, and it was not sent again.
    const later = messageEvent("later");
    d.enqueue(later);
    await waitFor(() => up.withId(later.id).length === 1, { message: "the later event" });
    expect(up.withId(event.id)).toHaveLength(1);
  });
});
