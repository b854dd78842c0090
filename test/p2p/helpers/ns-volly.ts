import type { ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../../helpers/wait-for.js";
import { type CliResult, UNSET_CLI_ENV } from "../../integration/helpers/cli.js";
import { CLI_BIN } from "../../integration/helpers/server-process.js";
import { type Host, ip, type NetLab } from "./netns.js";

/** Collects a child's stdout and stderr; `exit` resolves with its exit code. */
function collect(child: ChildProcess): {
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
} {
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { out: () => out, err: () => err, exit };
}

/** Runs the real `volly` CLI with `args` inside `host`'s namespace (test KDF, no inherited VOLLY_*). */
export async function runVollyIn(lab: NetLab, host: Host, args: string[]): Promise<CliResult> {
  const child = lab.spawnIn(host, process.execPath, [CLI_BIN, ...args], {
    env: { ...process.env, ...UNSET_CLI_ENV },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { out, err, exit } = collect(child);
  const code = await exit;
  return { code, stdout: out(), stderr: err() };
}

/**
 * Runs `curl -sS` inside `host`'s namespace; resolves with the HTTP status (0: no answer within
 * curl's `--max-time`) and the body. `json()` parses a 2xx body.
 *
 * @throws Error when curl fails otherwise (refused, reset); `json()` throws, saying what came instead
 *   of a 2xx answer, when there was none
 */
export async function curlIn(
  lab: NetLab,
  host: Host,
  args: string[],
): Promise<{ status: number; body: string; json<T>(): T }> {
  const child = lab.spawnIn(host, "curl", ["-sS", "-w", "\n%{http_code}", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { out, err, exit } = collect(child);
  const code = await exit;
  const text = out();
  const cut = text.lastIndexOf("\n");
  const body = text.slice(0, cut);
  const status = Number(text.slice(cut + 1));
  if (code !== 0 && code !== 28) throw new Error(`curl exited ${code}: ${err()}`);
  const answered = code === 28 ? 0 : status;
  const json = <T>(): T => {
    if (answered === 0) throw new Error(`no answer from ${host.name} within curl's --max-time`);
    if (answered < 200 || answered > 299) throw new Error(`HTTP ${answered} from ${host.name}: ${body}`);
    return JSON.parse(body) as T;
  };
  return { status: answered, body, json };
}

/** How long a stopped process may take to exit before it is killed (ms). */
const STOP_GRACE_MS = 10_000;

/**
 * SIGTERM, then SIGKILL after {@link STOP_GRACE_MS}: a member whose server is out of reach waits on
 * its last flush for as long as TCP takes to give up.
 */
async function stopBounded(
  child: ChildProcess,
  running: boolean,
  exit: Promise<number | null>,
): Promise<number | null> {
  if (!running) return exit;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  try {
    return await exit;
  } finally {
    clearTimeout(timer);
  }
}

/** A process started in a namespace, with its output. */
export interface NsProcess {
  child: ChildProcess;
  output(): string;
  /** SIGTERM (SIGKILL after 10 s), then the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash, a pulled plug), then resolves once it exited. */
  kill9(): Promise<void>;
}

/**
 * Starts `volly ARGS` in `host`'s namespace and resolves once it prints its URL (`{"url": …}`, as
 * `serve` and `daemon --json` do), with its output, a bounded stop and a kill -9.
 *
 * @throws Error when it exits first, or after 60 s
 */
async function startListening(
  lab: NetLab,
  host: Host,
  args: string[],
  env: NodeJS.ProcessEnv,
  what: string,
): Promise<NsProcess & { url: string }> {
  const child = lab.spawnIn(host, process.execPath, [CLI_BIN, ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { out, err, exit } = collect(child);
  let code: number | null | undefined;
  void exit.then((c) => {
    code = c;
  });
  let url: string | undefined;
  await waitFor(
    () => {
      if (code !== undefined) throw new Error(`${what} exited ${code}:\n${out()}\n${err()}`);
      url = /"url":"(http:[^"]+)"/.exec(out() + err())?.[1];
      return url !== undefined;
    },
    { timeoutMs: 60_000, message: `${what} in ${host.name} to listen` },
  );
  return {
    url: url ?? "",
    child,
    output: () => out() + err(),
    stop: () => stopBounded(child, code === undefined, exit),
    kill9: async () => {
      if (code === undefined) child.kill("SIGKILL");
      await exit;
    },
  };
}

/**
 * Starts `volly serve --host ADDRESS --port PORT --data DIR` in `host`'s namespace and resolves once
 * it listens.
 */
export async function startServerIn(
  lab: NetLab,
  host: Host,
  address: string,
  port: number,
  dataDir: string,
): Promise<NsProcess & { url: string }> {
  mkdirSync(dataDir, { recursive: true });
  const server = await startListening(
    lab,
    host,
    ["serve", "--host", address, "--port", String(port), "--data", dataDir],
    { ...process.env, VOLLY_LOG_LEVEL: "debug" },
    "volly serve",
  );
  return { ...server, url: `http://${address}:${port}` };
}

/** A `volly daemon` in a namespace: its loopback URL there and its local API key. */
export interface NsDaemon extends NsProcess {
  url: string;
  key: string;
}

/**
 * Starts `volly --profile DIR --pin-file … daemon --http 127.0.0.1:0 --direct` (profile args given)
 * in `host`'s namespace and resolves once it listens.
 */
export async function startDaemonIn(
  lab: NetLab,
  host: Host,
  profileArgs: string[],
  dir: string,
): Promise<NsDaemon> {
  const keyFile = join(dir, "daemon.key");
  const daemon = await startListening(
    lab,
    host,
    [...profileArgs, "--json", "daemon", "--http", "127.0.0.1:0", "--key-file", keyFile, "--direct"],
    { ...process.env, ...UNSET_CLI_ENV },
    "volly daemon",
  );
  return { ...daemon, key: readFileSync(keyFile, "utf8").trim() };
}

/**
 * Makes `router` forward IPv4 between its LANs and gives each host a default route through it: the
 * router's address on the host's first LAN.
 */
export async function routeThrough(router: Host, hosts: Host[]): Promise<void> {
  await ip("netns", "exec", router.ns, "sysctl", "-qw", "net.ipv4.ip_forward=1");
  for (const host of hosts) {
    const first = host.links[0];
    const via = router.links.find((l) => l.lan.ns === first?.lan.ns)?.address;
    if (!first || !via) throw new Error(`${host.name} shares no LAN with ${router.name}`);
    await ip("-n", host.ns, "route", "add", "default", "via", via);
  }
}

/** What `GET /v1/direct` answers. */
export interface DirectStatus {
  enabled: boolean;
  peers: Array<{ handle: string; via: string; deviceId: string }>;
  counts: { sent: number; received: number; firstDirect: number; relayed: number; dropped: number };
}

/** A message as the daemon lists it. */
export interface DaemonMessage {
  id: string;
  text?: string;
  from: { handle: string };
}

/** How long curl waits for a daemon's answer (s): a read (a test polling it tries again), a send (answered once the server stored it). */
const DAEMON_MAX_TIME_S = { read: 15, send: 30 } as const;

/**
 * How the namespace tests poll a daemon's reads with `waitFor`: a read that gets no answer in time
 * (a daemon restarting, or short of CPU on a loaded machine) or an error answer counts as "not yet",
 * and the last such error is quoted if the wait runs out.
 */
export const DAEMON_POLL = { ignoreErrors: true } as const;

/** The daemon's local HTTP API, called with curl inside its namespace ({@link DAEMON_MAX_TIME_S} per call). */
export function daemonApi(lab: NetLab, host: Host, daemon: NsDaemon) {
  const call = (path: string, maxTimeS: number, extra: string[] = []) =>
    curlIn(lab, host, [
      "--max-time",
      String(maxTimeS),
      "-H",
      `Authorization: Bearer ${daemon.key}`,
      ...extra,
      `${daemon.url}${path}`,
    ]);
  return {
    /** `GET /v1/direct`. */
    direct: async () => (await call("/v1/direct", DAEMON_MAX_TIME_S.read)).json<DirectStatus>(),
    /** The newest 100 messages of a conversation. */
    messages: async (conversationId: string) =>
      (await call(`/v1/conversations/${conversationId}/messages?limit=100`, DAEMON_MAX_TIME_S.read)).json<
        DaemonMessage[]
      >(),
    /** Sends a text; resolves with the answer (201 once the server stored it). */
    send: (conversationId: string, text: string) =>
      call(`/v1/conversations/${conversationId}/messages`, DAEMON_MAX_TIME_S.send, [
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "--data",
        JSON.stringify({ text }),
      ]),
  };
}

/**
 * Creates a profile for each `[handle, host]` on `serverUrl` (with `volly init` in that host's
 * namespace; `as(handle)` gives the profile flags) and has the first create the group `name` with
 * all the others. Every step must succeed.
 *
 * @returns the group's conversation id
 */
export async function setUpGroupIn(
  lab: NetLab,
  members: Array<[string, Host]>,
  as: (handle: string) => string[],
  serverUrl: string,
  name: string,
): Promise<string> {
  await Promise.all(
    members.map(async ([handle, host]) => {
      const init = await runVollyIn(lab, host, [
        ...as(handle),
        "init",
        "--server",
        serverUrl,
        "--handle",
        handle,
      ]);
      if (init.code !== 0) throw new Error(`volly init ${handle} failed: ${init.stderr}`);
    }),
  );
  const [creator, ...others] = members;
  if (!creator) throw new Error("No members.");
  const memberFlags = others.flatMap(([handle]) => ["--member", `@${handle}`]);
  const created = await runVollyIn(lab, creator[1], [
    ...as(creator[0]),
    "group",
    "create",
    name,
    ...memberFlags,
  ]);
  if (created.code !== 0) throw new Error(`volly group create failed: ${created.stderr}`);
  return (JSON.parse(created.stdout) as { conversationId: string }).conversationId;
}
