import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { type AddressInfo, connect, createServer } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";

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
 * Publishes with the real `mosquitto_pub` (QoS 1): `message` as the payload, or the bytes of `file`;
 * `connection`: port, TLS and login flags (default: the shared broker's port). Resolves once it exited 0 (the broker acknowledged); rejects with its stderr otherwise.
 */
export function mosquittoPub(
  topic: string,
  payload: { message: string } | { file: string } | { empty: true },
  connection: string[] = ["-p", String(BROKER.port)],
): Promise<void> {
  const body =
    "message" in payload ? ["-m", payload.message] : "file" in payload ? ["-f", payload.file] : ["-n"];
  return new Promise((resolve, reject) => {
    const child = spawn("mosquitto_pub", ["-h", BROKER.host, ...connection, "-q", "1", "-t", topic, ...body]);
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

/** A private Mosquitto with TLS and a password file, started by {@link startTlsMosquitto}. */
export interface TlsMosquitto {
  /** `mqtts://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** The CA certificate (PEM file) the broker's certificate chains to. */
  caFile: string;
  /** The one user the broker accepts. */
  user: { name: string; password: string };
  stop(): Promise<void>;
}

/** A free loopback TCP port (bound once, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts a real Mosquitto of its own on a free loopback port with TLS (a throwaway CA and server
 * certificate for 127.0.0.1, made with `openssl`), `allow_anonymous false` and a password file, and
 * resolves once it accepts a TLS login (checked with `mosquitto_pub`).
 */
export async function startTlsMosquitto(dir: string): Promise<TlsMosquitto> {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=volly-test-ca",
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.crt"),
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    f("server.key"),
    "-out",
    f("server.csr"),
  );
  writeFileSync(f("san.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl(
    "x509",
    "-req",
    "-in",
    f("server.csr"),
    "-CA",
    f("ca.crt"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    f("san.ext"),
    "-out",
    f("server.crt"),
  );
  const user = { name: "volly-bridge", password: randomBytes(9).toString("base64url") };
  execFileSync("mosquitto_passwd", ["-c", "-b", f("passwd"), user.name, user.password], { stdio: "ignore" });
  const port = await freePort();
  writeFileSync(
    f("mosquitto.conf"),
    [
      "per_listener_settings false",
      "allow_anonymous false",
      `password_file ${f("passwd")}`,
      "persistence false",
      // Mosquitto started as root would drop to the `mosquitto` user, who cannot read these files.
      `user ${userInfo().username}`,
      `listener ${port} 127.0.0.1`,
      `cafile ${f("ca.crt")}`,
      `certfile ${f("server.crt")}`,
      `keyfile ${f("server.key")}`,
      "",
    ].join("\n"),
  );
  const child = spawn("mosquitto", ["-c", f("mosquitto.conf")], { stdio: "ignore" });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const broker: TlsMosquitto = {
    url: `mqtts://127.0.0.1:${port}`,
    port,
    caFile: f("ca.crt"),
    user,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const probe = spawnSync("mosquitto_pub", [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "--cafile",
      broker.caFile,
      "-u",
      user.name,
      "-P",
      user.password,
      "-t",
      "probe",
      "-m",
      "up",
    ]);
    if (probe.status === 0) return broker;
    if (Date.now() > deadline || child.exitCode !== null) {
      await broker.stop();
      throw new Error(`the TLS Mosquitto did not start: ${probe.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
