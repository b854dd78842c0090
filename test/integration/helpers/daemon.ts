import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { waitFor } from "../../helpers/wait-for.js";
import { CLI_BIN } from "./server-process.js";

/** A real `volly daemon` child process. */
export interface DaemonProcess {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The local API key (read from the key file). */
  key: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `volly <profileArgs> --json daemon --http 127.0.0.1:0 --key-file KEYFILE <extra>` and
 * resolves once it prints its URL (`{"url"}` on stdout). Cheap test KDF as in helpers/cli.ts.
 */
export async function startDaemon(
  profileArgs: string[],
  keyFile: string,
  extra: string[] = [],
): Promise<DaemonProcess> {
  const child = spawn(
    process.execPath,
    [CLI_BIN, ...profileArgs, "--json", "daemon", "--http", "127.0.0.1:0", "--key-file", keyFile, ...extra],
    {
      env: {
        ...process.env,
        VOLLY_PIN: "",
        VOLLY_PROFILE: "",
        NODE_ENV: "test",
        VOLLY_INSECURE_TEST_KDF: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let code: number | null | undefined;
  void exited.then((c) => {
    code = c;
  });
  await waitFor(
    () => {
      if (code !== undefined) throw new Error(`volly daemon exited ${code}:\n${out}\n${err}`);
      return /"url":"http/.test(out);
    },
    { timeoutMs: 60_000, message: `volly daemon to listen (stderr: ${err})` },
  );
  const url = (JSON.parse(out.split("\n")[0] ?? "{}") as { url: string }).url;
  return {
    url,
    key: readFileSync(keyFile, "utf8").trim(),
    child,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      if (code === undefined) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** The answer of one curl run: HTTP status and body. */
export interface CurlResult {
  status: number;
  body: string;
  /** The body parsed as JSON. */
  json<T = unknown>(): T;
}

/** Runs `curl -sS ARGS URL` (a real curl process) and returns the status and body. */
export function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("curl", ["-sS", "-w", "\n%{http_code}", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`curl exited ${code}: ${err}`));
      const cut = out.lastIndexOf("\n");
      const body = out.slice(0, cut);
      resolve({ status: Number(out.slice(cut + 1)), body, json: <T>() => JSON.parse(body) as T });
    });
  });
}

/** A long-running process whose stdout is collected (an SSE reader: `curl -N`, a Python script). */
export interface StreamReader {
  output(): string;
  /** Resolves once stdout or stderr contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  kill(): void;
}

/** Starts `command args` and collects its stdout. */
export function startReader(command: string, args: string[], env: Record<string, string> = {}): StreamReader {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let exited = false;
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  child.once("exit", () => {
    exited = true;
  });
  return {
    output: () => out,
    waitFor: (text, timeoutMs = 30_000) =>
      waitFor(
        () => {
          if (out.includes(text) || err.includes(text)) return true;
          if (exited) throw new Error(`${command} exited before printing ${text}:\n${out}\n${err}`);
          return false;
        },
        { timeoutMs, message: `${command} to print ${JSON.stringify(text)} (stderr: ${err})` },
      ),
    kill: () => {
      if (!exited) child.kill("SIGTERM");
    },
  };
}

/** The JSON events of an SSE stream's text (its `data:` lines), with the `id:` line before each. */
export function sseEvents(text: string): Array<{ id: string | undefined; data: Record<string, unknown> }> {
  return text
    .split("\n\n")
    .slice(0, -1) // the last block may still be arriving
    .map((block) => {
      const lines = block.split("\n");
      const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
      const id = lines.find((l) => l.startsWith("id: "))?.slice(4);
      return data.length > 0
        ? { id, data: JSON.parse(data.join("\n")) as Record<string, unknown> }
        : undefined;
    })
    .filter((e) => e !== undefined);
}
