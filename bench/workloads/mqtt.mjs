/**
 * mqtt: messages per second through `volly bridge mqtt` (a real bridge process, the real Mosquitto
 * on 127.0.0.1:1883) beside the SDK's own rate in the same run, on one embedded `volly serve`.
 * "alice" (SDK, this process) and "device" (the bridge's account) share a direct conversation.
 *
 *   node bench/workloads/mqtt.mjs [--N 200] [--quick] [--broker mqtt://127.0.0.1:1883]
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initNodeProfile } from "@volly/client/node";
import mqtt from "mqtt";
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { CLI_BIN, startVolly } from "../lib/server.mjs";

export const description =
  "One embedded server; alice (SDK, in the load generator) and a device account in a direct conversation, the " +
  "device running `volly bridge mqtt` as its own process against the local Mosquitto. `sdk send`: alice sends N " +
  "messages one after the other with `messaging.send` (each resolves once the server stored it) — the SDK's own " +
  "rate. `mqtt → conversation`: an MQTT client publishes N messages (QoS 1, all at once) on PREFIX/ID/send; " +
  "the rate is N over the time until alice has received all N (the bridge sends each and acknowledges it " +
  "after the server stored it, one at a time). `conversation → mqtt`: alice queues N messages " +
  "(`messaging.enqueue`); the rate is N over the time until an MQTT subscriber got all N on PREFIX/ID/messages.";

export const units = { messagesPerSec: "messages/s" };
export const targets = [];
export const defaultRuns = 1;

const PIN = "123456";
const KDF = { memoryKiB: 1024, iterations: 1 };

async function waitUntil(condition, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function startBridge(profile, broker, prefix) {
  const child = spawn(
    process.execPath,
    [
      CLI_BIN,
      "--profile",
      profile,
      "--pin",
      PIN,
      "--json",
      "bridge",
      "mqtt",
      "--broker",
      broker,
      "--topic-prefix",
      prefix,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout.on("data", (c) => {
    out += c;
  });
  child.stderr.on("data", (c) => process.stderr.write(c));
  const ready = waitUntil(
    () => out.includes('"bridge":"mqtt"') || child.exitCode !== null,
    60_000,
    "the bridge",
  ).then(() => {
    if (child.exitCode !== null) throw new Error(`the bridge exited ${child.exitCode}`);
  });
  return { child, ready };
}

export async function run(flags) {
  const quick = flags.quick === "true";
  const N = numberFlag(flags, "N", quick ? 50 : 200);
  const broker = flags.broker ?? "mqtt://127.0.0.1:1883";
  const prefix = `volly-bench/${randomBytes(6).toString("hex")}`;
  const home = mkdtempSync(join(tmpdir(), "volly-bench-mqtt-"));
  const server = await startVolly();
  const opts = { initialBackoffMs: 50, maxBackoffMs: 500 };
  let bridge;
  let sub;
  let alice;
  try {
    alice = await initNodeProfile(
      join(home, "alice"),
      { serverUrl: server.url, handle: "alice", pin: PIN, kdf: KDF },
      opts,
    );
    const device = await initNodeProfile(
      join(home, "device"),
      { serverUrl: server.url, handle: "device", pin: PIN, kdf: KDF, entityType: "device" },
      opts,
    );
    await alice.connect();
    await device.connect();
    const conversation = await device.invites.accept(alice.invites.create().link);
    const id = conversation.id;
    let known = false;
    for (const end = Date.now() + 60_000; !known && Date.now() < end; ) {
      known = (await alice.conversations.findDirect("device")) !== undefined;
      if (!known) await new Promise((r) => setTimeout(r, 20));
    }
    if (!known) throw new Error("alice never saw the conversation");
    await device.close();
    const fromDevice = [];
    alice.messaging.received.add((m) => {
      if (m.direction === "in" && m.from === "device") fromDevice.push(m);
    });

    // The SDK's own rate: sequential sends, each stored by the server.
    await alice.messaging.send(id, "warm-up");
    let t0 = performance.now();
    for (let i = 0; i < N; i++) await alice.messaging.send(id, `sdk ${i}`);
    const sdkRate = N / ((performance.now() - t0) / 1000);

    bridge = startBridge(join(home, "device"), broker, prefix);
    await bridge.ready;
    sub = await mqtt.connectAsync(broker, { protocolVersion: 5, clean: true });
    const published = [];
    sub.on("message", (topic, payload) => {
      if (topic === `${prefix}/${id}/messages`) published.push(payload);
    });
    await sub.subscribeAsync(`${prefix}/${id}/messages`, { qos: 1 });

    // mqtt → conversation.
    await sub.publishAsync(`${prefix}/${id}/send`, "warm-up", { qos: 1 });
    await waitUntil(() => fromDevice.length === 1, 60_000, "the warm-up message");
    t0 = performance.now();
    await Promise.all(
      Array.from({ length: N }, (_, i) => sub.publishAsync(`${prefix}/${id}/send`, `mqtt ${i}`, { qos: 1 })),
    );
    await waitUntil(() => fromDevice.length === N + 1, 300_000, "every MQTT message in the conversation");
    const inRate = N / ((performance.now() - t0) / 1000);

    // conversation → mqtt.
    published.length = 0;
    t0 = performance.now();
    for (let i = 0; i < N; i++) await alice.messaging.enqueue(id, `out ${i}`);
    await waitUntil(() => published.length >= N, 300_000, "every message on the messages topic");
    const outRate = N / ((performance.now() - t0) / 1000);

    return {
      scenarios: {
        "sdk send": { messagesPerSec: sdkRate },
        "mqtt → conversation": { messagesPerSec: inRate },
        "conversation → mqtt": { messagesPerSec: outRate },
      },
      notes: [`N = ${N} messages per scenario; broker ${broker}; bridge process on the same machine`],
    };
  } finally {
    if (bridge && bridge.child.exitCode === null) {
      const exited = new Promise((r) => bridge.child.once("exit", r));
      bridge.child.kill("SIGTERM");
      const timer = setTimeout(() => bridge.child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(timer);
      if (code !== 0) console.error(`the bridge exited ${code} on SIGTERM`);
    }
    await sub?.endAsync().catch(() => {});
    await alice?.close().catch(() => {});
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

runAsMain(import.meta.url, run);
