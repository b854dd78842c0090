import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { validate } from "@readme/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newSecret, Receiver, verify } from "../../packages/cli/test/webhooks/receiver.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { jsonLines, runVolly } from "./helpers/cli.js";
import { type DaemonProcess, startDaemon } from "./helpers/daemon.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const BIN = (name: string) => join(ROOT, "node_modules", ".bin", name);

/**
 * `volly daemon`'s OpenAPI 3.1 document and what it promises: it validates, openapi-typescript
 * turns it into a client that compiles (strict) and works against the live daemon (the
 * examples/typescript-client program), and the group, reaction and file routes act on the real
 * server where a person (alice, the real CLI) sees the result; events reach a `--webhook`
 * receiver signed with each of its two `--webhook-secret`s (rotation).
 */
describe("volly daemon: OpenAPI and generated clients", () => {
  let server: ServerProcess;
  let daemon: DaemonProcess;
  const home = tempDir("volly-daemon-clients-");
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456"];
  let directId = "";
  const receiver = new Receiver();
  const secrets = [newSecret(), newSecret()];
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${daemon.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${daemon.key}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    server = await startServerProcess();
    await Promise.all(
      ["alice", "carol", "clientbot"].map(async (handle) => {
        const r = await runVolly([...as(handle), "init", "--server", server.url, "--handle", handle]);
        expect(r.code, r.stderr).toBe(0);
      }),
    );
    const invite = await runVolly([...as("alice"), "invite"]);
    const accepted = await runVolly([...as("clientbot"), "--json", "accept", invite.stdout.trim()]);
    expect(accepted.code, accepted.stderr).toBe(0);
    directId = (jsonLines(accepted.stdout)[0] as { conversationId: string }).conversationId;
    await receiver.start();
    daemon = await startDaemon(as("clientbot"), join(home, "daemon.key"), [
      "--webhook",
      receiver.url,
      "--webhook-secret",
      secrets[0] ?? "",
      "--webhook-secret",
      secrets[1] ?? "",
    ]);
  });
  afterAll(async () => {
    await daemon?.stop();
    await receiver.stop();
    await server?.stop();
  });

  it("serves an OpenAPI 3.1 document that validates", async () => {
    const doc = (await (await fetch(`${daemon.url}/v1/openapi.json`)).json()) as Record<string, unknown>;
    expect(doc.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(Object.keys(doc.paths as object)).toEqual(
      expect.arrayContaining([
        "/v1/conversations",
        "/v1/conversations/{id}/messages",
        "/v1/conversations/{id}/messages/{messageId}/reactions",
        "/v1/groups",
        "/v1/events",
        "/healthz",
      ]),
    );
  });

  it("an openapi-typescript client generated from it compiles and works against the live daemon", async () => {
    // Inside the repository so the client resolves openapi-fetch from its node_modules.
    const cache = join(ROOT, "node_modules", ".cache");
    mkdirSync(cache, { recursive: true });
    const dir = mkdtempSync(join(cache, "volly-daemon-client-"));
    mkdirSync(join(dir, "src"));
    copyFileSync(join(ROOT, "examples/typescript-client/src/client.ts"), join(dir, "src/client.ts"));
    copyFileSync(join(ROOT, "examples/typescript-client/tsconfig.json"), join(dir, "tsconfig.json"));
    writeFileSync(join(dir, "package.json"), '{"type":"module"}');
    await run(BIN("openapi-typescript"), [`${daemon.url}/v1/openapi.json`, "-o", join(dir, "src/api.d.ts")]);
    await run(BIN("tsc"), ["-p", join(dir, "tsconfig.json")]);
    const { stdout } = await run(process.execPath, [join(dir, "dist/client.js"), directId, "typed hello"], {
      env: { ...process.env, VOLLY_DAEMON_URL: daemon.url, VOLLY_DAEMON_KEY: daemon.key },
    });
    expect(stdout).toContain(`conversation ${directId} direct`);
    expect(stdout).toMatch(/^sent [A-Za-z0-9_-]{22} at \d+$/m);
    expect(stdout).toContain("clientbot: typed hello");
    const r = await runVolly([...as("alice"), "--json", "receive"]);
    expect(jsonLines(r.stdout).map((m) => m.text)).toContain("typed hello");
  });

  it("reacts, sends a local file, and manages a group that the person sees", async () => {
    const r = await runVolly([...as("alice"), "--json", "send", "@clientbot", "react to me"]);
    expect(r.code, r.stderr).toBe(0);
    const messageId = (jsonLines(r.stdout)[0] as { id: string }).id;
    await waitFor(() => receiver.withId(messageId).length > 0, { message: "the webhook delivery" });
    const delivery = receiver.withId(messageId)[0];
    if (!delivery) throw new Error("no delivery");
    for (const secret of secrets) {
      expect(verify(secret, delivery)).toMatchObject({ type: "message", id: messageId, text: "react to me" });
    }
    const reacted = await api("POST", `/v1/conversations/${directId}/messages/${messageId}/reactions`, {
      emoji: "👍",
    });
    expect(reacted).toEqual({ status: 201, body: { conversationId: directId, messageId, emoji: "👍" } });

    const file = join(home, "report.txt");
    writeFileSync(file, "quarterly numbers\n");
    const withFile = await api("POST", `/v1/conversations/${directId}/messages`, {
      text: "the report",
      replyTo: messageId,
      files: [{ path: file }],
    });
    expect(withFile.status, JSON.stringify(withFile.body)).toBe(201);
    expect(withFile.body).toMatchObject({ text: "the report", replyTo: messageId });
    expect(withFile.body.attachments).toEqual([expect.objectContaining({ name: "report.txt", size: 18 })]);

    const created = await api("POST", "/v1/groups", { name: "Ops", members: ["alice", "carol"] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ kind: "group", name: "Ops" });
    const groupId = created.body.id as string;
    const removed = await api("DELETE", `/v1/conversations/${groupId}/members/carol`);
    expect(removed).toEqual({ status: 200, body: { conversationId: groupId, removed: "carol" } });
    const sent = await api("POST", `/v1/conversations/${groupId}/messages`, { text: "ops channel open" });
    expect(sent.status).toBe(201);
    const alice = await runVolly([...as("alice"), "--json", "receive"]);
    expect(
      jsonLines(alice.stdout)
        .filter((m) => m.type === "message" && m.conversationId === groupId)
        .map((m) => m.text),
    ).toEqual(["ops channel open"]);
    const left = await api("POST", `/v1/conversations/${groupId}/leave`);
    expect(left).toEqual({ status: 200, body: { conversationId: groupId, left: true } });
    const listed = await api("GET", "/v1/conversations");
    expect((listed.body as unknown as Array<{ id: string }>).map((c) => c.id)).not.toContain(groupId);
  });
});
