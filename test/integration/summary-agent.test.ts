import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { messageText, type VollyClient } from "@volly/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { runVolly } from "./helpers/cli.js";
import { collect, newClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

const EXAMPLE = resolve(import.meta.dirname, "../../examples/summary-agent");
/** The recorded chat-completions response body the loopback endpoint replays. */
const RECORDED = readFileSync(join(EXAMPLE, "fixtures/chat-completion.json"), "utf8");
const SUMMARY = (JSON.parse(RECORDED) as { choices: Array<{ message: { content: string } }> }).choices[0]
  ?.message.content as string;

/** One request the loopback chat-completions endpoint received. */
interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: { model: string; messages: Array<{ role: string; content: string }> };
}

/** Reads a request's whole body as text. */
async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * examples/summary-agent run as its own process (`node agent.mjs`, on `@volly/bot`) against a real
 * `volly serve` process. Its OpenAI-compatible endpoint is a loopback HTTP server started here that
 * replays a recorded chat-completions response (fixtures/chat-completion.json): no real model is
 * contacted. A person adds the agent to a group, talks, asks "@summary-agent summarise"; the agent
 * sends the transcript to the endpoint and replies with the model's text. When the endpoint fails,
 * it says so in the conversation and keeps running.
 */
describe("examples/summary-agent", () => {
  let server: ServerProcess;
  let endpoint: Server;
  let person: VollyClient;
  let agent: ChildProcess | undefined;
  let agentStdout = "";
  let agentStderr = "";
  const home = tempDir("volly-summary-agent-");
  const requests: RecordedRequest[] = [];
  let failWith: number | undefined;

  beforeAll(async () => {
    endpoint = createServer(async (req, res) => {
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
        body: JSON.parse(await bodyOf(req)) as RecordedRequest["body"],
      });
      if (failWith !== undefined) {
        res
          .writeHead(failWith, { "content-type": "application/json" })
          .end('{"error":{"message":"overloaded"}}');
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(RECORDED);
    });
    await new Promise<void>((r) => endpoint.listen(0, "127.0.0.1", r));
    server = await startServerProcess();
    const profile = join(home, "summary-agent");
    const [init, dana] = await Promise.all([
      runVolly([
        "--profile",
        profile,
        "--pin",
        "123456",
        "init",
        "--server",
        server.url,
        "--handle",
        "summary-agent",
        "--type",
        "agent",
      ]),
      newClient(home, server.url, "dana"),
    ]);
    person = dana;
    expect(init.code, init.stderr).toBe(0);
    await person.connect();

    // As its README runs it: `node agent.mjs` in the example's directory, configured by environment.
    agent = spawn(process.execPath, ["agent.mjs"], {
      cwd: EXAMPLE,
      env: {
        ...process.env,
        VOLLY_PROFILE: profile,
        VOLLY_PIN: "123456",
        VOLLY_SERVER: "",
        VOLLY_HANDLE: "",
        OPENAI_BASE_URL: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/v1`,
        OPENAI_MODEL: "gpt-4o-mini",
        OPENAI_API_KEY: "sk-test-not-a-real-key",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    agent.stdout?.on("data", (c: Buffer) => {
      agentStdout += c.toString();
    });
    agent.stderr?.on("data", (c: Buffer) => {
      agentStderr += c.toString();
    });
    await waitFor(() => agentStderr.includes("summary-agent: ready as @summary-agent"), {
      message: `the agent to start (stderr: ${agentStderr})`,
      timeoutMs: 60_000,
    });
  });

  afterAll(async () => {
    agent?.kill("SIGKILL");
    await person?.close();
    await server?.stop();
    await new Promise((r) => endpoint?.close(r));
  });

  it("summarises the conversation on request through the endpoint, and says so when the endpoint fails", async () => {
    const got = collect(person);
    const group = await person.conversations.createGroup("Launch", ["summary-agent"]);
    for (const text of [
      "The launch review moves to Thursday 10:00.",
      "@priya still owes the load-test numbers; without them we cannot sign off.",
      "Ship date stays 14 December unless the load test fails.",
    ]) {
      await person.messaging.send(group.id, text);
    }
    const ask = await person.messaging.send(group.id, "@summary-agent summarise please");

    await waitFor(() => got.some((m) => m.from === "summary-agent"), {
      message: "the summary",
      timeoutMs: 60_000,
    });
    const summary = got.find((m) => m.from === "summary-agent");
    expect(summary).toMatchObject({ conversationId: group.id, replyTo: ask.id });
    expect(summary && messageText(summary)).toBe(SUMMARY);

    // Only the request was sent to the model (the other messages mention no summary), with the transcript.
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request).toMatchObject({ method: "POST", url: "/v1/chat/completions" });
    expect(request?.authorization).toBe("Bearer sk-test-not-a-real-key");
    expect(request?.body.model).toBe("gpt-4o-mini");
    expect(request?.body.messages.map((m) => m.role)).toEqual(["system", "user"]);
    const transcript = request?.body.messages[1]?.content ?? "";
    expect(transcript.split("\n").slice(1)).toEqual([
      expect.stringMatching(
        /^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] @dana: The launch review moves to Thursday 10:00\.$/,
      ),
      expect.stringMatching(
        /@dana: @priya still owes the load-test numbers; without them we cannot sign off\.$/,
      ),
      expect.stringMatching(/@dana: Ship date stays 14 December unless the load test fails\.$/),
    ]);

    failWith = 503;
    const again = await person.messaging.send(group.id, "@Summary-Agent summary again?");
    await waitFor(() => got.some((m) => m.replyTo === again.id), {
      message: "the apology",
      timeoutMs: 60_000,
    });
    const apology = got.find((m) => m.replyTo === again.id);
    expect(apology && messageText(apology)).toBe(
      "Sorry, I could not summarise this conversation (the model endpoint answered HTTP 503).",
    );
    expect(requests).toHaveLength(2);
    expect(agent?.exitCode).toBeNull();
    expect(agentStdout).toBe("");
    expect(agentStderr).toContain("no summary for");
  });
});
