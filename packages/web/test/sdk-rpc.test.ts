import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { useTestServer } from "../../client/test/helpers.js";
import { parseRequest } from "../src/worker/rpc-types.js";
import { invokeSdk } from "../src/worker/sdk-calls.js";
import {
  createSdkProxy,
  isWireError,
  type ResolvedCall,
  resolveCall,
  SDK_SURFACE,
  type SdkCall,
  SESSION_SURFACE,
} from "../src/worker/sdk-surface.js";
import { TRANSFER_MIN_BYTES, transferables } from "../src/worker/transferables.js";

/** The allowed SDK call at `path`; fails the test when the allow-list refuses it. */
function allowed(...path: string[]): SdkCall {
  const call = resolveCall(path);
  if (isWireError(call) || call.kind !== "sdk") throw new Error(`${path.join(".")} is not an SDK call`);
  return call;
}

describe("SDK worker RPC: the allow-list", () => {
  it("resolves every listed member, with its view, and every session call", () => {
    for (const [key, entry] of Object.entries(SDK_SURFACE)) {
      if (typeof entry === "string") {
        expect(resolveCall([key])).toEqual({ kind: "sdk", service: undefined, member: key, view: entry });
        continue;
      }
      for (const [member, view] of Object.entries(entry)) {
        expect(resolveCall([key, member])).toEqual({ kind: "sdk", service: key, member, view });
      }
    }
    for (const method of Object.keys(SESSION_SURFACE)) {
      expect(resolveCall(["session", method])).toEqual({ kind: "session", method });
    }
    expect(allowed("messaging", "history").view).toBe("messages");
  });

  it("refuses every other path with VOLLY_E_NOT_FOUND: internals, other public members, prototype keys", () => {
    const refused = [
      ["accountSync", "reconcile"],
      ["conversations", "loadGroup"],
      ["connection", "start"],
      ["messaging", "dispose"],
      ["diagnostics"],
      ["conversations"],
      ["close"],
      ["constructor"],
      ["__proto__"],
      ["toString"],
      ["conversations", "__proto__"],
      ["conversations", "constructor"],
      ["lookup", "call"],
      ["session"],
      ["session", "constructor"],
      ["session", "hasOwnProperty"],
    ];
    for (const path of refused) {
      const result: ResolvedCall | { code: string } = resolveCall(path);
      expect(result, path.join(".")).toMatchObject({ code: "VOLLY_E_NOT_FOUND" });
    }
    expect(resolveCall(["x".repeat(10_000)])).toMatchObject({
      code: "VOLLY_E_NOT_FOUND",
      message: `The SDK worker serves no call named "${"x".repeat(64)}".`,
    });
  });

  it("refuses malformed paths and requests with VOLLY_E_BAD_REQUEST", () => {
    for (const path of [[], ["a", "b", "c"], "conversations.summaries", [1], [["conversations"]], null]) {
      expect(resolveCall(path), JSON.stringify(path)).toMatchObject({ code: "VOLLY_E_BAD_REQUEST" });
    }
    const good = { kind: "request", id: 7, path: ["conversations", "summaries"], args: [] };
    expect(parseRequest(good)).toEqual({ request: good });
    expect(parseRequest({ ...good, args: "x" })).toMatchObject({
      id: 7,
      error: { code: "VOLLY_E_BAD_REQUEST" },
    });
    expect(parseRequest({ ...good, path: undefined })).toMatchObject({
      id: 7,
      error: { code: "VOLLY_E_BAD_REQUEST" },
    });
    for (const id of [0, -1, 1.5, "7", Number.MAX_SAFE_INTEGER + 1]) {
      expect(parseRequest({ ...good, id })).toMatchObject({
        id: undefined,
        error: { code: "VOLLY_E_BAD_REQUEST" },
      });
    }
    expect(parseRequest("request")).toMatchObject({ id: undefined, error: { code: "VOLLY_E_BAD_REQUEST" } });
  });
});

describe("SDK worker RPC: the UI's proxy", () => {
  it("has the allow-listed members only, each forwarding sdk.a.b(...args) as (path, args)", async () => {
    const calls: Array<[readonly string[], unknown[]]> = [];
    const sdk = createSdkProxy(async (path, args) => {
      calls.push([path, args]);
      return path.join(".");
    });
    expect(await sdk.conversations.summaries()).toBe("conversations.summaries");
    await sdk.messaging.enqueue("c1", "hi");
    await sdk.lookup("bob");
    await sdk.session.unlock("123456");
    expect(calls).toEqual([
      [["conversations", "summaries"], []],
      [
        ["messaging", "enqueue"],
        ["c1", "hi"],
      ],
      [["lookup"], ["bob"]],
      [["session", "unlock"], ["123456"]],
    ]);
    // only the allow-list is there, and awaiting the proxy or a service calls nothing
    expect((sdk.conversations as Record<string, unknown>).loadGroup).toBeUndefined();
    expect((sdk as unknown as Record<string, unknown>).accountSync).toBeUndefined();
    expect(await Promise.resolve(sdk)).toBe(sdk);
    expect(await Promise.resolve(sdk.conversations)).toBe(sdk.conversations);
    expect(calls).toHaveLength(4);
  });
});

describe("SDK worker RPC: allowed calls on a real client", () => {
  const bed = useTestServer();

  it("calls and reads members, returns the UI's message views, and passes the SDK's errors on", async () => {
    const [alice] = await bed.clients("alice", "bob");
    if (!alice) throw new Error("no client");
    const conversation = (await invokeSdk(alice, allowed("resolveConversation"), ["@bob"])) as { id: string };
    const sent = await invokeSdk(alice, allowed("messaging", "enqueue"), [conversation.id, "hello"]);
    expect(sent).toMatchObject({ conversationId: conversation.id, direction: "out", text: "hello" });

    const history = await invokeSdk(alice, allowed("messaging", "history"), [conversation.id, 10]);
    expect(history).toMatchObject([{ text: "hello" }]);
    const summaries = await invokeSdk(alice, allowed("conversations", "summaries"), []);
    expect(summaries).toMatchObject([
      { conversation: { id: conversation.id }, lastMessage: { text: "hello" } },
    ]);
    // what crosses to the UI survives structured clone unchanged
    expect(structuredClone(summaries)).toEqual(summaries);

    expect(await invokeSdk(alice, allowed("connection", "state"), [])).toBe("connected");
    await expect(invokeSdk(alice, allowed("connection", "state"), ["x"])).rejects.toMatchObject({
      code: "VOLLY_E_BAD_REQUEST",
    });
    await expect(invokeSdk(alice, allowed("lookup"), ["nobody-here"])).rejects.toMatchObject({
      code: "VOLLY_E_UNKNOWN_HANDLE",
    });
  });
});

describe("SDK worker RPC: transferred buffers", () => {
  it("lists each large buffer once, behind views or not, and leaves small ones to be copied", () => {
    const big = new Uint8Array(TRANSFER_MIN_BYTES).fill(7);
    const alsoBig = new ArrayBuffer(TRANSFER_MIN_BYTES * 2);
    const small = new Uint8Array(16);
    const args = [
      "id",
      { file: big, again: big.subarray(1, 2), nested: [alsoBig, small] },
      new Map([["k", big]]),
    ];
    const list = transferables(args);
    expect(list).toHaveLength(2);
    expect(list).toContain(big.buffer);
    expect(list).toContain(alsoBig);

    // posted with that list, the bytes arrive and the sender's copy is moved, not copied
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<unknown[]>((resolve) => port2.once("message", resolve));
    port1.postMessage(args, list);
    return received.then((got) => {
      expect((got[1] as { file: Uint8Array }).file).toEqual(new Uint8Array(TRANSFER_MIN_BYTES).fill(7));
      expect(big.byteLength).toBe(0);
      expect(small.byteLength).toBe(16);
      port1.close();
    });
  });
});
