import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { VollyClient } from "@volly/client";
import { newId } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { toMcpJsonSchema } from "../src/mcp/json-schema.js";
import { MCP_TOOLS } from "../src/mcp/tools/index.js";

/** A client no tool may reach: argument validation must refuse before anything runs. */
const UNREACHABLE = new Proxy({} as VollyClient, {
  get: (_target, key) => {
    throw new Error(`the client was used (${String(key)})`);
  },
});

describe("volly mcp tool schemas", () => {
  it("advertise plain JSON Schema objects that one MCP client validator compiles together", () => {
    // The SDK's client compiles every tool's outputSchema into one Ajv instance: a shared `$id`
    // (MessageEvent is in three of them) would be refused as a duplicate.
    const validator = new AjvJsonSchemaValidator();
    for (const tool of MCP_TOOLS) {
      const input = toMcpJsonSchema(tool.input);
      const output = toMcpJsonSchema(tool.output);
      expect(input.type, tool.name).toBe("object");
      expect(JSON.stringify([input, output])).not.toContain('"$id"');
      expect(() => validator.getValidator(output), tool.name).not.toThrow();
    }
    const send = MCP_TOOLS.find((t) => t.name === "send_message");
    const check = validator.getValidator(toMcpJsonSchema(send?.output ?? MCP_TOOLS[0]!.output));
    expect(check({ message: { type: "message" } }).valid).toBe(false);
  });

  it("refuse arguments that do not match the input schema with VOLLY_E_BAD_REQUEST, before running", async () => {
    const byName = new Map(MCP_TOOLS.map((t) => [t.name, t]));
    const cases: Array<[string, unknown]> = [
      ["list_conversations", { extra: 1 }],
      ["read_messages", {}],
      ["read_messages", { conversationId: "not-an-id" }],
      ["read_messages", { conversationId: newId(), limit: 501 }],
      ["search_messages", { query: "" }],
      ["send_message", { conversationId: newId() }],
      ["send_message", { conversationId: newId(), text: "" }],
      ["send_message", { conversationId: newId(), text: "x".repeat(64_001) }],
      ["send_message", { conversationId: newId(), text: "hi", replyTo: 42 }],
      ["send_message", "not an object"],
    ];
    for (const [name, args] of cases) {
      await expect(
        byName.get(name)?.call(args, UNREACHABLE),
        `${name} ${JSON.stringify(args)}`,
      ).rejects.toMatchObject({
        code: "VOLLY_E_BAD_REQUEST",
      });
    }
  });
});
