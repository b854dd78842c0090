import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { jsonLines, runVolly, startInTerminal, startVolly } from "./helpers/cli.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy.js";

/** The server's largest file in this test (plaintext bytes). */
const LIMIT = 4 * 1024 * 1024;

type Attachment = { id: string; name: string; size: number; mime: string; sha256: string; path?: string };

/** Byte-for-byte equality (vitest's deep equality of megabyte buffers takes seconds). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(Buffer.from(actual.buffer, actual.byteOffset, actual.length), expected)).toBe(0);
}

/**
 * `volly send CONV [TEXT] --file PATH…` and `volly receive --json --download DIR` against a real
 * server process (through a TCP proxy that can hold an upload halfway): files arrive byte for byte
 * under safe, never-overwriting names; a file over the limit exits 6 before anything is uploaded;
 * a send killed with SIGKILL mid-upload is finished by the next command that connects, once.
 */
describe("volly send --file and receive --download", () => {
  let server: ServerProcess;
  let proxy: TcpProxy;
  const home = tempDir("volly-cli-files-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];

  async function ok(handle: string, ...args: string[]): Promise<Array<Record<string, unknown>>> {
    const r = await runVolly([...as(handle), ...args]);
    expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    return jsonLines(r.stdout);
  }
  const file = (name: string, bytes: Buffer) => {
    const path = join(home, name);
    writeFileSync(path, bytes);
    return path;
  };

  beforeAll(async () => {
    server = await startServerProcess(tempDir(), 0, { VOLLY_MAX_UPLOAD_BYTES: String(LIMIT) });
    proxy = await startTcpProxy(server.url);
    await Promise.all(
      ["alice", "bob"].map((handle) => ok(handle, "init", "--server", proxy.url, "--handle", handle)),
    );
    const invite = await ok("alice", "invite");
    await ok("bob", "accept", String(invite[0]?.link));
  });
  afterAll(async () => {
    proxy?.release();
    await proxy?.close();
    await server?.stop();
  });

  it("files with a caption arrive decrypted in the download directory; a second file of the same name does not overwrite the first", async () => {
    const report = randomBytes(300_000);
    const photo = randomBytes(90_000);
    const [sent] = await ok(
      "alice",
      "send",
      "@bob",
      "the files",
      "--file",
      file("report.txt", report),
      "--file",
      file("photo.png", photo),
    );
    expect((sent?.attachments as Attachment[] | undefined)?.map((a) => [a.name, a.size, a.mime])).toEqual([
      ["report.txt", 300_000, "text/plain"],
      ["photo.png", 90_000, "image/png"],
    ]);
    const report2 = randomBytes(1_000);
    await ok("alice", "send", "@bob", "--file", file("report.txt", report2));

    const downloads = join(home, "downloads");
    const received = (await ok("bob", "receive", "--download", downloads)).filter(
      (l) => l.type === "message",
    );
    expect(received.map((m) => m.text)).toEqual(["the files", ""]);
    const [first, second] = received.map((m) => m.attachments as Attachment[]);
    expect(first?.map((a) => a.path)).toEqual([join(downloads, "report.txt"), join(downloads, "photo.png")]);
    expect(second?.map((a) => a.path)).toEqual([join(downloads, "report (1).txt")]);
    expectSameBytes(readFileSync(join(downloads, "report.txt")), report);
    expectSameBytes(readFileSync(join(downloads, "photo.png")), photo);
    expectSameBytes(readFileSync(join(downloads, "report (1).txt")), report2);
    expect(first?.[0]).toMatchObject({ id: first?.[0]?.sha256, size: 300_000, mime: "text/plain" });
  });

  it("upload progress goes to stderr on a terminal, never into a pipe", async () => {
    const path = file("movie.mp4", randomBytes(2 * 1024 * 1024));
    const profile = as("alice").filter((a) => a !== "--json");
    const onTerminal = await startInTerminal([...profile, "send", "@bob", "on a terminal", "--file", path])
      .done;
    expect(onTerminal.code, onTerminal.stdout).toBe(0);
    expect(onTerminal.stdout).toMatch(/uploading \d+%/);
    const piped = await runVolly([...profile, "send", "@bob", "piped", "--file", path]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).not.toContain("uploading");
    expect(piped.stdout).toMatch(/^sent /);
    const texts = (await ok("bob", "receive")).filter((l) => l.type === "message").map((l) => l.text);
    expect(texts).toEqual(["on a terminal", "piped"]);
  });

  it("a file over the server's limit exits 6 with VOLLY_E_TOO_LARGE before anything is uploaded", async () => {
    const blobs = join(server.dataDir, "blobs");
    const count = () =>
      existsSync(blobs)
        ? readdirSync(blobs, { recursive: true, encoding: "utf8" }).filter((p) =>
            statSync(join(blobs, p)).isFile(),
          ).length
        : 0;
    const before = count();
    const upstream = proxy.upstreamBytes();
    const r = await runVolly([
      ...as("alice"),
      "send",
      "@bob",
      "--file",
      file("huge.bin", Buffer.alloc(LIMIT + 1)),
    ]);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toContain("VOLLY_E_TOO_LARGE");
    expect(count()).toBe(before);
    // Signing in, syncing and the limits: far less than the file.
    expect(proxy.upstreamBytes() - upstream).toBeLessThan(LIMIT / 4);
  });

  it("kill -9 mid-upload: the next command that connects resumes the upload and the message arrives once", async () => {
    const data = randomBytes(3 * 1024 * 1024);
    proxy.arm({ afterBytes: 1024 * 1024, action: "hold" });
    const sending = startVolly([
      ...as("alice"),
      "send",
      "@bob",
      "interrupted",
      "--file",
      file("big.bin", data),
    ]);
    try {
      await waitFor(() => proxy.fired(), { timeoutMs: 60_000, message: "the upload is under way" });
    } finally {
      sending.kill();
    }
    const killed = await sending.done;
    expect(killed.code).toBeNull();
    // What the killed process had written but the server had not received is lost with it.
    proxy.dropHeld();
    const offsetsBefore = proxy.offsets().length;

    // Any command that connects carries the outbox on; `receive` waits for the upload before it exits.
    await ok("alice", "receive");
    expect(
      proxy
        .offsets()
        .slice(offsetsBefore)
        .some((o) => o > 0 && o < data.length),
    ).toBe(true);

    const downloads = join(home, "after-kill");
    const received = (await ok("bob", "receive", "--download", downloads)).filter(
      (l) => l.type === "message",
    );
    expect(received.map((m) => m.text)).toEqual(["interrupted"]);
    expectSameBytes(
      readFileSync(String((received[0]?.attachments as Attachment[] | undefined)?.[0]?.path)),
      data,
    );
    // And never again.
    await ok("alice", "receive");
    expect((await ok("bob", "receive")).filter((l) => l.type === "message")).toEqual([]);
  });
});
