import { ApplicationContent } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { CONTENT_HANDLERS } from "../src/messaging/content/registry.js";

/** The `type` literal of every member of packages/protocol's ApplicationContent union. */
const protocolKinds = (ApplicationContent.anyOf as Array<{ properties: { type: { const: string } } }>).map(
  (member) => member.properties.type.const,
);

describe("content handlers (one per kind of application content, in a typed registry)", () => {
  it("every kind the protocol defines has a handler of that kind, and no handler is for another", () => {
    expect(Object.keys(CONTENT_HANDLERS).sort()).toEqual([...protocolKinds].sort());
    for (const [kind, handler] of Object.entries(CONTENT_HANDLERS)) expect(handler.type).toBe(kind);
  });
});
