import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { curl, type DaemonProcess, sseEvents, startDaemon, startReader } from "./helpers/daemon.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

const CURL_EXAMPLE = resolve(import.meta.dirname, "../../examples/curl/volly-daemon.sh");
const PYTHON_EXAMPLE = resolve(import.meta.dirname, "../../examples/python/volly_daemon.py");

/** True when `command --version` runs. Under CI=true a missing tool fails the test instead of skipping. */
function has(command: string): boolean {
  try {
    execFileSync(command, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    if (process.env.CI === "true") throw new Error(`${command} is needed by this test (CI=true)`);
    return false;
  }
}

/**
 * `volly daemon` as any-language clients use it: a real server, a real daemon child process for the
 * bot "daemonbot", and a person (alice, the real CLI) talking to it. The clients are curl (the
 * examples/curl script and raw curl) and the stdlib-only Python example.
 */
describe.runIf(has("curl"))("volly daemon: curl and Python clients", () => {
  let server: ServerProcess;
  let daemon: DaemonProcess;
  const home = tempDir("volly-daemon-http-");
  const keyFile = join(home, "keys", "daemon.key");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456"];
  let directId = "";
  const auth = () => ["-H", `Authorization: Bearer ${daemon.key}`];
  const env = () => ({ VOLLY_DAEMON_URL: daemon.url, VOLLY_DAEMON_KEY: daemon.key });

  /** alice's messages from the daemon's bot, by `volly --json receive`. */
  const aliceReceives = async () => {
    const r = await runVolly([...as("alice"), "--json", "receive"]);
    expect(r.code, r.stderr).toBe(0);
    return jsonLines(r.stdout)
      .filter((m) => m.from === "daemonbot")
      .map((m) => m.text);
  };

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      (
        [
          ["alice", "human"],
          ["daemonbot", "bot"],
        ] as const
      ).map(async ([handle, type]) => {
        const r = await runVolly([
          ...as(handle),
          "init",
          "--server",
          server.url,
          "--handle",
          handle,
          "--type",
          type,
        ]);
        expect(r.code, r.stderr).toBe(0);
      }),
    );
    const invite = await runVolly([...as("alice"), "invite"]);
    const accepted = await runVolly([...as("daemonbot"), "--json", "accept", invite.stdout.trim()]);
    expect(accepted.code, accepted.stderr).toBe(0);
    directId = (jsonLines(accepted.stdout)[0] as { conversationId: string }).conversationId;
    daemon = await startDaemon(as("daemonbot"), keyFile);
  });
  afterAll(async () => {
    await daemon?.stop();
    await server?.stop();
  });

  it("creates the key file with mode 0600 and prints the key once, on stderr", () => {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(daemon.key).toMatch(/^vdk_[A-Za-z0-9_-]{43}$/);
    expect(daemon.stderr()).toContain(daemon.key);
    expect(daemon.stdout()).not.toContain(daemon.key);
  });

  it("a curl-only client lists, receives over SSE and sends while a person talks to it", async () => {
    const listed = execFileSync("sh", [CURL_EXAMPLE, "list"], {
      env: { ...process.env, ...env() },
    }).toString();
    expect(JSON.parse(listed)).toContainEqual(expect.objectContaining({ id: directId, kind: "direct" }));

    const events = startReader("sh", [CURL_EXAMPLE, "events"], env());
    try {
      await events.waitFor(": connected");
      const sent = await runVolly([...as("alice"), "send", "@daemonbot", "hello daemon"]);
      expect(sent.code, sent.stderr).toBe(0);
      await events.waitFor("hello daemon");
      await waitFor(() => sseEvents(events.output()).some((e) => e.data.text === "hello daemon"));
      const hello = sseEvents(events.output()).find((e) => e.data.text === "hello daemon");
      expect(hello?.data).toMatchObject({
        type: "message",
        conversationId: directId,
        direction: "in",
        from: { handle: "alice" },
      });
      expect(hello?.id).toBe(hello?.data.id);

      const reply = JSON.parse(
        execFileSync("sh", [CURL_EXAMPLE, "send", directId, 'hi "alice"\nline two'], {
          env: { ...process.env, ...env() },
        }).toString(),
      ) as Record<string, unknown>;
      expect(reply).toMatchObject({ type: "message", direction: "out", text: 'hi "alice"\nline two' });
      expect(await aliceReceives()).toEqual(['hi "alice"\nline two']);
    } finally {
      events.kill();
    }
  });

  it("resumes the SSE stream after Last-Event-ID", async () => {
    const live = startReader("curl", ["-sS", "-N", ...auth(), `${daemon.url}/v1/events`]);
    let first = "";
    try {
      await live.waitFor(": connected");
      for (const text of ["resume one", "resume two"]) {
        const r = await runVolly([...as("alice"), "send", "@daemonbot", text]);
        expect(r.code, r.stderr).toBe(0);
      }
      await waitFor(() => sseEvents(live.output()).some((e) => e.data.text === "resume two"));
      first = sseEvents(live.output()).find((e) => e.data.text === "resume one")?.id ?? "";
    } finally {
      live.kill();
    }
    const resumed = startReader("curl", [
      "-sS",
      "-N",
      ...auth(),
      "-H",
      `Last-Event-ID: ${first}`,
      `${daemon.url}/v1/events`,
    ]);
    try {
      await waitFor(() => sseEvents(resumed.output()).some((e) => e.data.text === "resume two"));
      expect(sseEvents(resumed.output()).map((e) => e.data.text)).not.toContain("resume one");
    } finally {
      resumed.kill();
    }
  });

  it("refuses a missing or wrong key with a typed 401; /healthz and /v1/openapi.json need none", async () => {
    for (const headers of [
      [],
      ["-H", "Authorization: Bearer vdk_wrong"],
      ["-H", `Authorization: ${daemon.key}`],
    ]) {
      const r = await curl([...headers, `${daemon.url}/v1/conversations`]);
      expect(r.status).toBe(401);
      expect(r.json()).toEqual({ code: "VOLLY_E_NOT_AUTHENTICATED", message: expect.any(String) });
    }
    const noKeySend = await curl([
      "-H",
      "Content-Type: application/json",
      "--data",
      '{"text":"sneaky"}',
      `${daemon.url}/v1/conversations/${directId}/messages`,
    ]);
    expect(noKeySend.status).toBe(401);
    expect((await curl([`${daemon.url}/v1/events`])).status).toBe(401);
    expect((await curl([`${daemon.url}/nope`])).status).toBe(401);
    const health = await curl([`${daemon.url}/healthz`]);
    expect(health.status).toBe(200);
    expect(health.json()).toMatchObject({ status: "ok", handle: "daemonbot" });
    expect((await curl([`${daemon.url}/v1/openapi.json`])).json()).toMatchObject({ openapi: "3.1.0" });
  });

  it("answers bad input with a typed 400 (404 for an unknown conversation) and sends nothing", async () => {
    const post = (path: string, body: string) =>
      curl([...auth(), "-H", "Content-Type: application/json", "--data", body, `${daemon.url}${path}`]);
    const messages = `/v1/conversations/${directId}/messages`;
    const bad = [
      await post(messages, '{"text": 5}'),
      await post(messages, '{"text": "bad-extra", "extra": 1}'),
      await post(messages, '{"text": "bad-reply", "replyTo": "not-an-id"}'),
      await post(messages, '{"text": "bad-file", "files": [{"path": "relative.txt"}]}'),
      await post(messages, '{"text": "bad-missing-file", "files": [{"path": "/nonexistent/file.txt"}]}'),
      await post(messages, '{"text": "bad-json"'),
      await post(messages, ""),
      await post(messages, '{"text": ""}'),
      await post("/v1/conversations/short/messages", '{"text": "bad-id"}'),
      await post(`${messages}/${directId}/reactions`, '{"emoji": ""}'),
      await post("/v1/groups", '{"name": "", "members": []}'),
      await curl([...auth(), `${daemon.url}${messages}?limit=abc`]),
      await curl([...auth(), `${daemon.url}${messages}?limit=9999`]),
      await curl([
        ...auth(),
        "-H",
        "Content-Type: text/plain",
        "--data",
        "bad-type",
        `${daemon.url}${messages}`,
      ]),
    ];
    for (const r of bad) {
      expect(r.status, r.body).toBe(400);
      expect(r.json()).toMatchObject({ code: "VOLLY_E_BAD_REQUEST", message: expect.any(String) });
    }
    const unknown = await post(
      "/v1/conversations/AAAAAAAAAAAAAAAAAAAAAA/messages",
      '{"text": "bad-unknown"}',
    );
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ code: "VOLLY_E_UNKNOWN_CONVERSATION" });

    const marker = await post(messages, '{"text": "after the bad ones"}');
    expect(marker.status, marker.body).toBe(201);
    expect(await aliceReceives()).toEqual(["after the bad ones"]);
    const history = await curl([...auth(), `${daemon.url}${messages}?limit=500`]);
    expect(history.status).toBe(200);
    const texts = history.json<Array<{ text: string }>>().map((m) => m.text);
    expect(texts.filter((t) => t.startsWith("bad-"))).toEqual([]);
  });

  it.runIf(has("python3"))(
    "the stdlib-only Python example lists, sends and reads the SSE stream",
    async () => {
      const listed = execFileSync("python3", [PYTHON_EXAMPLE, "list"], { env: { ...process.env, ...env() } });
      expect(listed.toString()).toContain(directId);
      const events = startReader("python3", ["-u", PYTHON_EXAMPLE, "events", "--count", "1"], env());
      try {
        await events.waitFor("connected"); // on stderr, once subscribed
        const r = await runVolly([...as("alice"), "send", "@daemonbot", "hello python"]);
        expect(r.code, r.stderr).toBe(0);
        await events.waitFor("hello python");
        const event = JSON.parse(events.output().split("\n")[0] ?? "") as Record<string, unknown>;
        expect(event).toMatchObject({ type: "message", text: "hello python", direction: "in" });
      } finally {
        events.kill();
      }
      const sent = execFileSync("python3", [PYTHON_EXAMPLE, "send", directId, "from python"], {
        env: { ...process.env, ...env() },
      });
      expect(JSON.parse(sent.toString())).toMatchObject({ text: "from python", direction: "out" });
      expect(await aliceReceives()).toEqual(["from python"]);
    },
  );

  it("stops cleanly on SIGTERM", async () => {
    expect(await daemon.stop()).toBe(0);
  });
});
