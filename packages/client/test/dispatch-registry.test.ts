import { DISPATCH_EVENTS } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { DISPATCH_HANDLERS } from "../src/sync/registry.js";

describe("gateway dispatch handlers (one per dispatch event, in a typed registry)", () => {
  it("every dispatch event the protocol defines has a handler", () => {
    expect(Object.keys(DISPATCH_HANDLERS).sort()).toEqual(Object.keys(DISPATCH_EVENTS).sort());
    for (const handler of Object.values(DISPATCH_HANDLERS)) expect(typeof handler.handle).toBe("function");
  });
});
