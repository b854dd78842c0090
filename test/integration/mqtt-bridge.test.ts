import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MessageRecord, VollyClient } from "@volly/client";
import { LIMITS, newId } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { type InteractiveVolly, jsonLines, runVolly, startVolly } from "./helpers/cli.js";
import {
  BROKER,
  type MosquittoSub,
  mosquittoAvailable,
  mosquittoPub,
  mosquittoSub,
  startTlsMosquitto,
  uniquePrefix,
} from "./helpers/mosquitto.js";
import { collect, newClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

const enabled = await mosquittoAvailable();

/** A message's text ("" for a membership event). */
const textOf = (m: MessageRecord) => ("text" in m.body ? m.body.text : "");

/**
 * `volly bridge mqtt` against a real `volly serve` process and the real Mosquitto on
 * 127.0.0.1:1883, driven by real `mosquitto_pub`/`mosquitto_sub` processes: the device account
 * "sensor" runs the bridge; "alice" (a person, through the SDK) shares a direct conversation with it.
 */
describe.skipIf(!enabled)("volly bridge mqtt", () => {
  let server: ServerProcess;
  let alice: VollyClient;
  let got: MessageRecord[];
  let sub: MosquittoSub;
  let conversationId = "";
  const bridges: InteractiveVolly[] = [];
  const home = tempDir("volly-mqtt-");
  const prefix = uniquePrefix();
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];
  const sendTopic = () => `${prefix}/${conversationId}/send`;

  async function ok(handle: string, ...args: string[]): Promise<Array<Record<string, unknown>>> {
    const r = await runVolly([...as(handle), ...args]);
    expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    return jsonLines(r.stdout);
  }
  async function startBridge(): Promise<InteractiveVolly> {
    const bridge = startVolly([
      ...as("sensor"),
      "bridge",
      "mqtt",
      "--broker",
      BROKER.url,
      "--topic-prefix",
      prefix,
    ]);
    bridges.push(bridge);
    await bridge.waitFor("stdout", '"bridge":"mqtt"', 40_000);
    return bridge;
  }
  const textsFromSensor = () => got.filter((m) => m.from === "sensor").map(textOf);
  const published = (leaf: string) =>
    sub
      .messages()
      .filter((m) => m.topic === `${prefix}/${conversationId}/${leaf}` || m.topic === `${prefix}/${leaf}`);

  beforeAll(async () => {
    server = await startServerProcess();
    [, alice] = await Promise.all([
      ok("sensor", "init", "--server", server.url, "--handle", "sensor", "--type", "device"),
      newClient(home, server.url, "alice"),
    ]);
    got = collect(alice);
    await alice.connect();
    await ok("sensor", "accept", alice.invites.create().link);
    await waitFor(async () => (await alice.conversations.findDirect("sensor")) !== undefined, {
      message: "alice has the direct conversation",
    });
    conversationId = (await alice.conversations.findDirect("sensor"))?.id ?? "";
    expect(conversationId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    sub = await mosquittoSub(`${prefix}/#`);
  }, 90_000);
  afterAll(async () => {
    for (const b of bridges) b.kill();
    sub?.stop();
    await alice?.close().catch(() => {});
    await server?.stop();
  });

  it("mosquitto_pub into the send topic reaches alice; her reply reaches mosquitto_sub; the bridge shows online", async () => {
    await startBridge();
    await waitFor(() => published("status").some((m) => m.payload === "online"), {
      message: "status online",
    });
    await waitFor(() => alice.presence.statusOf("sensor") === "online", {
      message: "alice sees sensor online",
    });

    await mosquittoPub(sendTopic(), { message: "temperature 21.5 °C" });
    await mosquittoPub(sendTopic(), { message: JSON.stringify({ text: "humidity 40 %" }) });
    await waitFor(() => textsFromSensor().length === 2, { message: "alice got both sensor messages" });
    expect(textsFromSensor()).toEqual(["temperature 21.5 °C", "humidity 40 %"]);

    const reply = await alice.messaging.send(conversationId, "thanks, sensor");
    await waitFor(() => published("messages").length === 1, { message: "the reply on the messages topic" });
    const body = JSON.parse(published("messages")[0]?.payload ?? "{}") as Record<string, unknown>;
    expect(body).toMatchObject({
      id: reply.id,
      conversationId,
      from: "alice",
      text: "thanks, sensor",
      sentAt: reply.sentAt,
    });
  }, 90_000);

  it("refuses bad payloads (bad UTF-8, bad JSON, empty, too long, not a member) without sending, and stays up", async () => {
    const before = textsFromSensor().length;
    const badUtf8 = join(home, "bad-utf8.bin");
    writeFileSync(badUtf8, Buffer.from([0x68, 0x69, 0xff, 0xfe]));
    const tooLong = join(home, "too-long.txt");
    writeFileSync(tooLong, "x".repeat(LIMITS.maxTextChars + 1));
    await mosquittoPub(sendTopic(), { file: badUtf8 });
    await mosquittoPub(sendTopic(), { message: "{oops" });
    await mosquittoPub(sendTopic(), { empty: true });
    await mosquittoPub(sendTopic(), { message: JSON.stringify({ text: "" }) });
    await mosquittoPub(sendTopic(), { message: JSON.stringify({ text: "hi", colour: "red" }) });
    await mosquittoPub(sendTopic(), { file: tooLong });
    const stranger = newId();
    await mosquittoPub(`${prefix}/${stranger}/send`, { message: "not my conversation" });
    await mosquittoPub(sendTopic(), { message: "still alive" });

    await waitFor(() => textsFromSensor().includes("still alive"), {
      message: "the good message after the bad ones",
    });
    expect(textsFromSensor().slice(before)).toEqual(["still alive"]);
    const errors = published("errors").map((m) => JSON.parse(m.payload) as { code: string });
    expect(errors.map((e) => e.code)).toEqual([
      "VOLLY_E_BAD_REQUEST",
      "VOLLY_E_BAD_REQUEST",
      "VOLLY_E_BAD_REQUEST",
      "VOLLY_E_BAD_REQUEST",
      "VOLLY_E_BAD_REQUEST",
      "VOLLY_E_PAYLOAD_TOO_LARGE",
    ]);
    const strangerErrors = sub.messages().filter((m) => m.topic === `${prefix}/${stranger}/errors`);
    expect(strangerErrors).toHaveLength(1);
    expect(JSON.parse(strangerErrors[0]?.payload ?? "{}")).toMatchObject({
      code: "VOLLY_E_UNKNOWN_CONVERSATION",
      topic: `${prefix}/${stranger}/send`,
    });
  }, 90_000);

  it("sends nothing twice after a restart: a re-published payload id, and a packet the broker re-delivers (DUP)", async () => {
    const [first] = bridges;
    // 1. The device publishes the same {id} again after the bridge restarted.
    await mosquittoPub(sendTopic(), { message: JSON.stringify({ id: "reading-42", text: "reading 42" }) });
    await waitFor(() => textsFromSensor().includes("reading 42"), { message: "reading 42" });
    first?.kill();
    await first?.done;
    let bridge = await startBridge();
    await mosquittoPub(sendTopic(), { message: JSON.stringify({ id: "reading-42", text: "reading 42" }) });
    await mosquittoPub(sendTopic(), { message: "marker 1" });
    await waitFor(() => textsFromSensor().includes("marker 1"), { message: "marker 1" });
    expect(textsFromSensor().filter((t) => t === "reading 42")).toHaveLength(1);

    // 2. The Volly server is down: the bridge queues the message and does not acknowledge it; it is
    // killed; the broker delivers the packet again (DUP, same packet id) to the restarted bridge.
    const port = Number(new URL(server.url).port);
    await server.stop();
    await mosquittoPub(sendTopic(), { message: "queued while the server was down" });
    await bridge.waitFor("stderr", "retrying in", 30_000);
    bridge.kill();
    await bridge.done;
    server = await startServerProcess(server.dataDir, port);
    bridge = await startBridge();
    await bridge.waitFor("stderr", "redelivered (DUP)", 40_000);
    await mosquittoPub(sendTopic(), { message: "marker 2" });
    await waitFor(() => textsFromSensor().includes("marker 2"), { message: "marker 2", timeoutMs: 40_000 });
    expect(textsFromSensor().filter((t) => t === "queued while the server was down")).toHaveLength(1);
    const history = await alice.messaging.history(conversationId, 500);
    expect(history.filter((m) => textOf(m) === "queued while the server was down")).toHaveLength(1);
  }, 120_000);

  it("Last Will: the bridge killed → mosquitto_sub gets offline and alice sees the device offline", async () => {
    await waitFor(() => alice.presence.statusOf("sensor") === "online", { message: "sensor online again" });
    const offlineBefore = published("status").filter((m) => m.payload === "offline").length;
    const bridge = bridges.at(-1);
    bridge?.kill();
    await bridge?.done;
    await waitFor(() => published("status").filter((m) => m.payload === "offline").length > offlineBefore, {
      message: "the Will on the status topic",
    });
    await waitFor(() => alice.presence.statusOf("sensor") === "offline", {
      message: "alice sees sensor offline",
    });
  }, 60_000);

  it("runs over TLS with broker credentials (--ca, --username, --password-file); a wrong password is VOLLY_E_BROKER_REFUSED", async () => {
    const tls = await startTlsMosquitto(tempDir("volly-mqtt-tls-"));
    try {
      const passFile = join(home, "broker.pass");
      writeFileSync(passFile, `${tls.user.password}\n`, { mode: 0o600 });
      const wrongFile = join(home, "wrong.pass");
      writeFileSync(wrongFile, "not-the-password\n", { mode: 0o600 });
      const flags = (file: string) => [
        ...as("sensor"),
        "bridge",
        "mqtt",
        "--broker",
        tls.url,
        "--topic-prefix",
        prefix,
        "--username",
        tls.user.name,
        "--password-file",
        file,
        "--ca",
        tls.caFile,
      ];
      const refused = await runVolly(flags(wrongFile));
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toContain("VOLLY_E_BROKER_REFUSED");

      const bridge = startVolly(flags(passFile));
      bridges.push(bridge);
      await bridge.waitFor("stdout", '"bridge":"mqtt"', 40_000);
      await mosquittoPub(sendTopic(), { message: "over TLS" }, [
        "-p",
        String(tls.port),
        "--cafile",
        tls.caFile,
        "-u",
        tls.user.name,
        "-P",
        tls.user.password,
      ]);
      await waitFor(() => textsFromSensor().includes("over TLS"), { message: "the message sent over TLS" });
    } finally {
      await tls.stop();
    }
  }, 90_000);
});
