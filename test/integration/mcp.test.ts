import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ConversationSummary, MessageEvent } from "@volly/bot";
import type { VollyClient } from "@volly/client";
import { newId } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { runVolly } from "./helpers/cli.js";
import { collect, newClient } from "./helpers/sdk.js";
import { CLI_BIN, type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/** The JSON error a failed tool call carries in its text block. */
interface ToolErrorJson {
  error: { code: string; message: string };
}

/**
 * `volly mcp` driven by the MCP SDK's own client over stdio, as an MCP host runs it: a real
 * `volly serve` process, a person (SDK client) who adds the agent account to a group, and the real
 * `volly mcp` process of that agent account. The client lists the tools, lists conversations, reads
 * and searches the person's message, answers it (the person receives the reply), and is refused —
 * with an isError result, the process still serving — outside the agent's conversations and for
 * arguments that do not match a tool's schema.
 */
describe("volly mcp", () => {
  let server: ServerProcess;
  let person: VollyClient;
  let mcp: Client;
  let transport: StdioClientTransport;
  const home = tempDir("volly-mcp-");
  const agentProfile = join(home, "helper-agent");
  let stderr = "";
  const transportErrors: Error[] = [];
  let groupId = "";
  let privateId = "";
  let askId = "";

  /** Calls a tool and returns its result (structured content, or the error's text). */
  async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    return (await mcp.callTool({ name, arguments: args })) as CallToolResult;
  }

  /** The error JSON of a failed call. */
  function errorOf(result: CallToolResult): ToolErrorJson {
    expect(result.isError).toBe(true);
    const block = result.content[0];
    if (block?.type !== "text") throw new Error("a tool error has one text block");
    return JSON.parse(block.text) as ToolErrorJson;
  }

  beforeAll(async () => {
    server = await startServerProcess();
    const [init, dana] = await Promise.all([
      runVolly([
        "--profile",
        agentProfile,
        "--pin",
        "123456",
        "init",
        "--server",
        server.url,
        "--handle",
        "helper-agent",
        "--type",
        "agent",
      ]),
      newClient(home, server.url, "dana"),
    ]);
    person = dana;
    expect(init.code, init.stderr).toBe(0);
    await person.connect();
    groupId = (await person.conversations.createGroup("Planning", ["helper-agent"])).id;
    privateId = (await person.conversations.createGroup("Dana only", [])).id;
    askId = (await person.messaging.send(groupId, "Shall we move the launch review to Thursday?")).id;

    transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_BIN, "--profile", agentProfile, "mcp"],
      env: { VOLLY_PIN: "123456", NODE_ENV: "test" },
      stderr: "pipe",
    });
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    mcp = new Client({ name: "volly-mcp-test", version: "1.0.0" });
    mcp.onerror = (err) => transportErrors.push(err);
    await mcp.connect(transport);
  });

  afterAll(async () => {
    await mcp?.close();
    await person?.close();
    await server?.stop();
  });

  it("lists its four tools with input and output schemas", async () => {
    expect(mcp.getServerCapabilities()).toMatchObject({ tools: {}, resources: {} });
    const { tools } = await mcp.listTools();
    expect(tools.map((t) => t.name)).toEqual([
      "list_conversations",
      "read_messages",
      "search_messages",
      "send_message",
    ]);
    const send = tools.find((t) => t.name === "send_message");
    expect(send?.inputSchema.required).toEqual(["conversationId", "text"]);
    expect(send?.outputSchema?.properties).toHaveProperty("message");
    expect(mcp.getServerVersion()?.name).toBe("volly");
  });

  it("lists the conversation it was added to, reads and searches the person's message", async () => {
    let conversations: ConversationSummary[] = [];
    await waitFor(
      async () => {
        const r = await call("list_conversations", {});
        conversations = (r.structuredContent as { conversations: ConversationSummary[] }).conversations;
        return conversations.some((c) => c.id === groupId);
      },
      { message: "the group in list_conversations" },
    );
    expect(conversations).toEqual([{ id: groupId, kind: "group", name: "Planning", unread: 1 }]);

    let messages: MessageEvent[] = [];
    await waitFor(
      async () => {
        const r = await call("read_messages", { conversationId: groupId, limit: 10 });
        messages = (r.structuredContent as { messages: MessageEvent[] }).messages;
        return messages.length > 0;
      },
      { message: "the person's message in read_messages" },
    );
    expect(messages).toEqual([
      expect.objectContaining({
        type: "message",
        id: askId,
        conversationId: groupId,
        direction: "in",
        text: "Shall we move the launch review to Thursday?",
        from: expect.objectContaining({ handle: "dana", accountId: person.profile.accountId }),
      }),
    ]);
    const after = await call("list_conversations", {});
    expect(
      (after.structuredContent as { conversations: ConversationSummary[] }).conversations[0]?.unread,
    ).toBe(0);

    const found = await call("search_messages", { query: "launch thurs" });
    const matches = (found.structuredContent as { matches: Array<{ score: number; message: MessageEvent }> })
      .matches;
    expect(matches.map((m) => m.message.id)).toEqual([askId]);
    expect(matches[0]?.score).toBeGreaterThan(0);
    const none = await call("search_messages", { query: "budget", conversationId: groupId });
    expect(none.structuredContent).toEqual({ matches: [] });
  });

  it("offers each member conversation's recent messages as a resource, and no other", async () => {
    const { resources } = await mcp.listResources();
    const uri = `volly://conversations/${groupId}/messages`;
    expect(resources).toEqual([
      expect.objectContaining({ uri, name: "Planning", mimeType: "application/json" }),
    ]);
    const { resourceTemplates } = await mcp.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual([
      "volly://conversations/{conversationId}/messages",
    ]);
    const read = await mcp.readResource({ uri });
    const content = read.contents[0];
    const json = JSON.parse(content && "text" in content ? content.text : "{}") as {
      messages: MessageEvent[];
    };
    expect(json.messages.map((m) => m.id)).toContain(askId);
    await expect(mcp.readResource({ uri: `volly://conversations/${privateId}/messages` })).rejects.toThrow(
      /VOLLY_E_UNKNOWN_CONVERSATION/,
    );
    await expect(mcp.readResource({ uri: "file:///etc/passwd" })).rejects.toThrow(/Not a Volly resource URI/);
  });

  it("sends a reply that the person receives", async () => {
    const got = collect(person);
    const r = await call("send_message", {
      conversationId: groupId,
      text: "Thursday works.",
      replyTo: askId,
    });
    expect(r.isError).toBeFalsy();
    const sent = (r.structuredContent as { message: MessageEvent }).message;
    expect(sent).toMatchObject({
      conversationId: groupId,
      direction: "out",
      text: "Thursday works.",
      replyTo: askId,
    });
    await waitFor(() => got.some((m) => m.id === sent.id), { message: "the reply at the person" });
    const reply = got.find((m) => m.id === sent.id);
    expect(reply).toMatchObject({
      from: "helper-agent",
      replyTo: askId,
      body: { type: "text", text: "Thursday works." },
    });
  });

  it("refuses conversations it is not a member of and bad arguments with isError, and keeps serving", async () => {
    const got = collect(person);
    const outside = errorOf(await call("send_message", { conversationId: privateId, text: "let me in" }));
    expect(outside.error.code).toBe("VOLLY_E_UNKNOWN_CONVERSATION");
    expect(outside.error.message).toContain("not a member");
    expect(errorOf(await call("read_messages", { conversationId: newId() })).error.code).toBe(
      "VOLLY_E_UNKNOWN_CONVERSATION",
    );
    const missing = errorOf(await call("send_message", { conversationId: groupId }));
    expect(missing.error.code).toBe("VOLLY_E_BAD_REQUEST");
    const extra = errorOf(await call("read_messages", { conversationId: groupId, limit: 0 }));
    expect(extra.error.code).toBe("VOLLY_E_BAD_REQUEST");
    await expect(mcp.callTool({ name: "delete_everything", arguments: {} })).rejects.toThrow(/Unknown tool/);

    const still = await call("list_conversations", {});
    expect(still.isError).toBeFalsy();
    expect(got.filter((m) => m.conversationId === privateId)).toEqual([]);
    expect(transportErrors).toEqual([]);
    expect(stderr).toContain("serving 4 tools on stdio");
  });
});
