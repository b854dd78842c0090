/**
 * daemon: messages per second sent through `volly daemon`'s local HTTP API
 * (POST /v1/conversations/{id}/messages, answered once the server stored the message) beside the
 * SDK's own rate (`client.messaging.send`) in the same run, against the same `volly serve`, into
 * the same group of three members. Both senders are bot accounts (same rate budget). The daemon is a
 * real child process (`volly daemon --http 127.0.0.1:0`); the HTTP client is Node's fetch with
 * keep-alive, closed loop with 1 and with W requests in flight.
 *
 *   node bench/workloads/daemon.mjs [--N 200] [--W 8] [--quick]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initNodeProfile } from "@volly/client/node";
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { CLI_BIN, startVolly } from "../lib/server.mjs";
import { percentile } from "../lib/stats.mjs";

export const description =
  "Messages per second sent by a bot through `volly daemon`'s local HTTP API (POST " +
  "/v1/conversations/{id}/messages with a Bearer key; 201 once the server stored the message), with 1 " +
  "and with W requests in flight, beside the SDK's own send rate (`client.messaging.send`, 1 in " +
  "flight and W concurrent) from another bot into the same 3-member group on the same server, in the " +
  "same run. Server, daemon and load generator share the machine.";

export const units = {
  messagesPerSec: "messages/s",
  p50Ms: "ms",
  p95Ms: "ms",
};

export const targets = [];

export const defaultRuns = 3;

const KDF = { memoryKiB: 1024, iterations: 1 };
const PIN = "123456";

/** Sends `n` messages with `inFlight` concurrent workers through `send(i)`; rate and latency. */
async function measure(n, inFlight, send) {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        await send(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    messagesPerSec: n / seconds,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
  };
}

/** Starts `volly daemon` on a free loopback port; resolves with its URL, key and a stop function. */
async function startDaemon(profile, keyFile) {
  const child = spawn(
    process.execPath,
    [
      CLI_BIN,
      "--profile",
      profile,
      "--pin",
      PIN,
      "--json",
      "daemon",
      "--http",
      "127.0.0.1:0",
      "--key-file",
      keyFile,
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, VOLLY_PIN: "" } },
  );
  const exited = new Promise((r) => child.once("exit", r));
  let out = "";
  let err = "";
  child.stderr.on("data", (c) => {
    err += c;
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start:\n${err}`)), 60_000);
    child.stdout.on("data", (c) => {
      out += c;
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited ${code}:\n${err}`));
    });
  });
  return {
    url,
    key: readFileSync(keyFile, "utf8").trim(),
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function run(flags) {
  const quick = flags.quick === "true";
  const N = numberFlag(flags, "N", quick ? 40 : 200);
  const W = numberFlag(flags, "W", 8);
  const home = mkdtempSync(join(tmpdir(), "volly-bench-daemon-"));
  const server = await startVolly();
  let daemon;
  const clients = [];
  try {
    const tag = Date.now().toString(36).slice(-5);
    const make = async (handle) => {
      const c = await initNodeProfile(join(home, handle), {
        serverUrl: server.url,
        handle,
        pin: PIN,
        kdf: KDF,
        entityType: "bot",
      });
      clients.push(c);
      return c;
    };
    const sdk = await make(`sdk${tag}`);
    const viaDaemon = await make(`daemon${tag}`);
    await make(`person${tag}`); // only receives
    await viaDaemon.close(); // the daemon opens this profile itself
    await sdk.connect();
    const group = await sdk.conversations.createGroup("bench", [`daemon${tag}`, `person${tag}`]);

    daemon = await startDaemon(join(home, `daemon${tag}`), join(home, "daemon.key"));
    const headers = { authorization: `Bearer ${daemon.key}`, "content-type": "application/json" };
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await fetch(`${daemon.url}/v1/conversations`, { headers });
      const list = await res.json();
      if (Array.isArray(list) && list.some((c) => c.id === group.id)) break;
      if (Date.now() > deadline) throw new Error("the daemon's member never joined the group");
      await new Promise((r) => setTimeout(r, 100));
    }
    const postMessage = async (i) => {
      const res = await fetch(`${daemon.url}/v1/conversations/${group.id}/messages`, {
        method: "POST",
        headers,
        body: JSON.stringify({ text: `daemon message ${i}` }),
      });
      if (res.status !== 201) throw new Error(`daemon answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    const sdkSend = (i) => sdk.messaging.send(group.id, `sdk message ${i}`);

    console.error(`daemon: ${N} messages each way`);
    // Warm-up: the first sends open connections and JIT the paths.
    await measure(Math.min(10, N), 1, sdkSend);
    await measure(Math.min(10, N), 1, postMessage);
    const scenarios = {
      "sdk send, 1 in flight": await measure(N, 1, sdkSend),
      "daemon HTTP, 1 in flight": await measure(N, 1, postMessage),
      [`sdk send, ${W} in flight`]: await measure(N, W, sdkSend),
      [`daemon HTTP, ${W} in flight`]: await measure(N, W, postMessage),
    };
    return {
      scenarios,
      notes: [`${N} messages per scenario into a 3-member group of bot accounts (the third only receives).`],
    };
  } finally {
    await daemon?.stop();
    for (const c of clients) await c.close().catch(() => {});
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

runAsMain(import.meta.url, run);
