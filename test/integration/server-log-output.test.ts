import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { CLI_BIN, startServerProcess } from "./helpers/server-process.js";

/** Parses a line as a JSON object, or undefined when it is not one. */
function jsonObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Strips ANSI colour sequences and carriage returns (a terminal's line ends are CR LF). */
function plain(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the ESC of colour codes is the point
  return text.replace(/\u001b\[[0-9;]*m/g, "").replace(/\r/g, "");
}

describe("volly serve's log output", () => {
  it("on a terminal: pretty lines (time, level, message, fields), not JSON", async () => {
    const dir = tempDir();
    const serve = [
      process.execPath,
      CLI_BIN,
      "serve",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--data",
      join(dir, "data"),
    ];
    // script(1) runs the server on a pseudo-terminal, as a person's shell would; its own process
    // group, so stopping it stops the server too.
    const child = spawn("script", ["-qfec", serve.map((a) => `'${a}'`).join(" "), "/dev/null"], {
      env: { ...process.env, VOLLY_LOG_LEVEL: "info", FORCE_COLOR: "1" },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    let out = "";
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    try {
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          out += chunk.toString();
          // Volly's own "listening" line, complete (Fastify's "Server listening at …" comes first).
          if (/INFO: listening \{"url":"http:\/\/127\.0\.0\.1:\d+".*\}\n/.test(plain(out))) resolve();
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        child.once("exit", (code) =>
          reject(new Error(`script exited with ${code} before listening:\n${out}`)),
        );
      });
      const lines = plain(out)
        .split("\n")
        .filter((l) => l.trim() !== "");
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.filter((l) => jsonObject(l) !== undefined)).toEqual([]);
      const listening = lines.find((l) => /\blistening\b/.test(l) && l.includes('"store":"sqlite"'));
      expect(listening, out).toMatch(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: listening \{"url":"http:\/\/127\.0\.0\.1:\d+"/,
      );
      expect(out).toContain("\u001b["); // coloured (FORCE_COLOR=1 on a terminal)
    } finally {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("piped (systemd, Docker, log shippers): one JSON object per line, unchanged", async () => {
    const dir = tempDir();
    const server = await startServerProcess(join(dir, "data"));
    try {
      expect(await server.stop()).toBe(0);
      const lines = server
        .output()
        .split("\n")
        .filter((l) => l !== "");
      expect(lines.length).toBeGreaterThanOrEqual(3);
      for (const line of lines)
        expect(jsonObject(line), line).toMatchObject({ level: 30, msg: expect.any(String) });
      expect(lines.map((l) => jsonObject(l)?.msg)).toEqual(expect.arrayContaining(["listening", "stopped"]));
      expect(jsonObject(lines.find((l) => l.includes('"listening"'))!)).toMatchObject({
        url: server.url,
        store: "sqlite",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
