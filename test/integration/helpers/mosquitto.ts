import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";

/** The shared test broker: a real Mosquitto on loopback. */
export const BROKER = { host: "127.0.0.1", port: 1883, url: "mqtt://127.0.0.1:1883" } as const;

/**
 * Whether the MQTT tests run here: true when Mosquitto answers on 127.0.0.1:1883 and
 * `mosquitto_pub`/`mosquitto_sub` are installed. With `CI=true` it is always true (a missing broker
 * fails the tests); elsewhere they are skipped with a note saying how to install it.
 */
export async function mosquittoAvailable(): Promise<boolean> {
  if (process.env.CI === "true") return true;
  const tools = spawnSync("mosquitto_pub", ["--help"]).error === undefined;
  const listening = await new Promise<boolean>((resolve) => {
    const socket = connect(BROKER.port, BROKER.host);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
  if (tools && listening) return true;
  console.warn(
    "Skipping the MQTT bridge tests: Mosquitto is not listening on 127.0.0.1:1883 or mosquitto-clients is missing (apt-get install mosquitto mosquitto-clients).",
  );
  return false;
}

/** A topic prefix no other run uses (the broker is shared). */
export function uniquePrefix(): string {
  return `volly-test/${randomBytes(6).toString("hex")}`;
}

/**
 * Publishes with the real `mosquitto_pub` (QoS 1): `message` as the payload, or the bytes of `file`.
 * Resolves once it exited 0 (the broker acknowledged); rejects with its stderr otherwise.
 */
export function mosquittoPub(
  topic: string,
  payload: { message: string } | { file: string } | { empty: true },
): Promise<void> {
  const body =
    "message" in payload ? ["-m", payload.message] : "file" in payload ? ["-f", payload.file] : ["-n"];
  return new Promise((resolve, reject) => {
    const child = spawn("mosquitto_pub", [
      "-h",
      BROKER.host,
      "-p",
      String(BROKER.port),
      "-q",
      "1",
      "-t",
      topic,
      ...body,
    ]);
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`mosquitto_pub ${code}: ${stderr}`)),
    );
  });
}

/** A running `mosquitto_sub -v` (QoS 1) and the lines it printed: `TOPIC PAYLOAD`. */
export interface MosquittoSub {
  /** The messages so far, in order. */
  messages(): Array<{ topic: string; payload: string }>;
  stop(): void;
}

/** Starts the real `mosquitto_sub` on `filter` and resolves once it is subscribed (its -d SUBACK log). */
export async function mosquittoSub(filter: string): Promise<MosquittoSub> {
  // stdbuf -oL: mosquitto_sub writes through stdio, block-buffered into a pipe.
  const child: ChildProcess = spawn("stdbuf", [
    "-oL",
    "mosquitto_sub",
    "-h",
    BROKER.host,
    "-p",
    String(BROKER.port),
    "-q",
    "1",
    "-v",
    "-d",
    "-t",
    filter,
  ]);
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const deadline = Date.now() + 10_000;
  while (!out.includes("received SUBACK")) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`mosquitto_sub did not subscribe: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    messages: () =>
      out
        .split("\n")
        .filter((l) => l.startsWith(filter.replace(/\/#$/, "")))
        .map((l) => {
          const space = l.indexOf(" ");
          return { topic: l.slice(0, space), payload: l.slice(space + 1) };
        }),
    stop: () => {
      if (child.exitCode === null) child.kill("SIGTERM");
    },
  };
}
