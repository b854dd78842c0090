import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { join } from "node:path";
import { tempDir } from "../../helpers/temp-dir.js";
import { waitFor } from "../../helpers/wait-for.js";

/**
 * Whether the coturn tests run here: true when `turnserver` and `turnutils_uclient` are installed.
 * With `CI=true` it is always true (a missing coturn fails the tests); elsewhere they are skipped with
 * a note saying how to install it.
 */
export function coturnAvailable(): boolean {
  if (process.env.CI === "true") return true;
  const found = ["turnserver", "turnutils_uclient"].every(
    (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0,
  );
  if (!found) console.warn("Skipping the TURN tests: coturn is not installed (apt-get install coturn).");
  return found;
}

/** A free UDP port on loopback (bound, read, released). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Whether a STUN Binding request (RFC 8489 §5) to `port` on loopback gets an answer within 300 ms. */
async function stunAnswers(port: number): Promise<boolean> {
  const socket = createSocket("udp4");
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
  request.writeUInt32BE(0x2112a442, 4); // magic cookie
  randomBytes(12).copy(request, 8); // transaction id
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 300);
      socket.once("message", (reply) => {
        clearTimeout(timer);
        resolve(reply.readUInt16BE(0) === 0x0101 && reply.subarray(8, 20).equals(request.subarray(8, 20)));
      });
      socket.once("error", () => resolve(false));
      socket.send(request, port, "127.0.0.1");
    });
  } finally {
    socket.close();
  }
}

/** A real coturn (`turnserver`) on loopback with the TURN REST API (`use-auth-secret`). */
export interface Coturn {
  /** Its UDP/TCP listening port on 127.0.0.1. */
  port: number;
  /** The `static-auth-secret` it checks credentials with. */
  secret: string;
  /** What it logged so far. */
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
}

/** How many times {@link startCoturn} starts coturn on a new port before it gives up. */
const START_ATTEMPTS = 3;

/**
 * Starts `turnserver` with its own config in a temp dir: listening and relaying on 127.0.0.1 only
 * (relay ports from a random 200-port range, loopback peers allowed so two local clients can relay to
 * each other), no TLS/DTLS, no CLI, its own user database, `use-auth-secret` with a random
 * `static-auth-secret`. Resolves once it answers a STUN Binding request. The free port it is given
 * can be taken by another process before coturn binds it (other test files open UDP sockets all the
 * time): one that does not answer within 10 s is stopped and started again on another port, up to
 * {@link START_ATTEMPTS} times; the error then carries each attempt's output.
 */
export async function startCoturn(): Promise<Coturn> {
  const failures: string[] = [];
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const started = await startCoturnOnce();
    if ("port" in started) return started;
    failures.push(`attempt ${attempt}: ${started.failure}`);
  }
  throw new Error(`coturn did not answer STUN:\n${failures.join("\n")}`);
}

/** One start of coturn on a free port: the running server, or why it did not answer. */
async function startCoturnOnce(): Promise<Coturn | { failure: string }> {
  const dir = tempDir("volly-coturn-");
  const port = await freeUdpPort();
  const secret = randomBytes(24).toString("hex");
  const minPort = randomInt(50_000, 60_000);
  const child: ChildProcess = spawn(
    "turnserver",
    [
      "-n",
      "--listening-ip=127.0.0.1",
      `--listening-port=${port}`,
      "--relay-ip=127.0.0.1",
      `--min-port=${minPort}`,
      `--max-port=${minPort + 199}`,
      "--use-auth-secret",
      `--static-auth-secret=${secret}`,
      "--realm=volly.test",
      "--no-tls",
      "--no-dtls",
      "--no-cli",
      "--allow-loopback-peers",
      `--userdb=${join(dir, "turndb")}`,
      `--pidfile=${join(dir, "turnserver.pid")}`,
      "--log-file=stdout",
      "--simple-log",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    // Not installed (ENOENT): under CI=true the test fails here, with the reason.
    child.once("error", (error) => {
      out += `\n${error.message} (apt-get install coturn)`;
      resolve();
    });
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const stop = async () => {
    if (!gone) child.kill("SIGTERM");
    await exited;
  };
  try {
    await waitFor(
      async () => {
        if (gone) throw new Error(`turnserver exited:\n${out}`);
        return stunAnswers(port);
      },
      { timeoutMs: 10_000, message: `coturn to answer STUN on port ${port}` },
    );
  } catch (error) {
    await stop();
    if (out.includes("apt-get install coturn")) throw error;
    return { failure: `${(error as Error).message}\n${out.slice(-2_000)}` };
  }
  return { port, secret, output: () => out, stop };
}

/** What `turnutils_uclient` reported: its exit code (null when a signal ended it), the signal, its output. */
export interface UclientResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Runs coturn's own test client against `port` with the long-term credentials `username` /
 * `credential`: one client pair relaying to each other (`-y`) over UDP, a few 100-byte messages.
 * Exit code 0 means both allocations were made and messages went through the relay. Its stdout is
 * line-buffered (`stdbuf -oL`): the client reports on stdout, which a pipe would otherwise buffer
 * until exit, and lose if a signal ends it. A client ended by a signal (it crashed; nothing was
 * decided about the credential) is run again, up to `attempts` times in all.
 */
export async function runUclient(
  port: number,
  username: string,
  credential: string,
  attempts = 3,
): Promise<UclientResult> {
  let result = await runUclientOnce(port, username, credential);
  for (let i = 1; i < attempts && result.signal !== null; i += 1) {
    result = await runUclientOnce(port, username, credential);
  }
  return result;
}

function runUclientOnce(port: number, username: string, credential: string): Promise<UclientResult> {
  return new Promise((resolve) => {
    const child = spawn(
      "stdbuf",
      [
        "-oL",
        "turnutils_uclient",
        "-p",
        String(port),
        "-u",
        username,
        "-w",
        credential,
        "-y",
        "-n",
        "2",
        "-m",
        "1",
        "-l",
        "100",
        "127.0.0.1",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.once("error", (error) => resolve({ code: null, signal: null, output: error.message }));
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("close", (code, signal) => resolve({ code, signal, output }));
  });
}
