import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuite, builtFile, CHROMIUM, chromiumPrerequisite } from "./browser-prerequisites.js";

/** The compiled store (it has no imports), as the web app's bundle would ship it. */
const STORE_JS = resolve(import.meta.dirname, "../dist/storage/indexeddb-client-store.js");
/** Skipped with a note when something is missing; under CI=true it fails instead, saying what to install. */
const setup = browserSuite("the IndexedDB store's browser tests", [
  chromiumPrerequisite(),
  builtFile(STORE_JS),
]);

/**
 * Exercises the store in the page or worker it runs in; returns what it observed. Serialized into
 * the browser, so it must be self-contained.
 */
const SCENARIO = `
export async function scenario(name) {
  const { IndexedDbClientStore } = await import("/store.js");
  const enc = (s) => new TextEncoder().encode(s);
  const dec = (b) => new TextDecoder().decode(b);
  const out = {};
  let store = await IndexedDbClientStore.open(name);
  await store.commit({
    puts: [
      { key: "conv:b", value: enc("B") },
      { key: "conv:a", value: enc("A") },
      { key: "convx", value: enc("not under conv:") },
      { key: "kp:1", value: enc("K") },
      { key: "gone", value: enc("G") },
    ],
    messages: [
      { id: "m3", conversationId: "c1", sortKey: 30, data: enc("third") },
      { id: "m1", conversationId: "c1", sortKey: 10, data: enc("first") },
      { id: "m2b", conversationId: "c1", sortKey: 20, data: enc("second-b") },
      { id: "m2a", conversationId: "c1", sortKey: 20, data: enc("second-a") },
      { id: "x1", conversationId: "c2", sortKey: 15, data: enc("other") },
    ],
  });
  await store.commit({ deletes: ["gone"], puts: [{ key: "conv:a", value: enc("A2") }] });
  out.get = dec(await store.get("conv:a"));
  out.isBytes = (await store.get("conv:a")) instanceof Uint8Array;
  out.missing = (await store.get("gone")) === undefined;
  out.list = (await store.list("conv:")).map(([k, v]) => k + "=" + dec(v));
  out.listEmpty = (await store.list("zzz")).length;
  out.all = (await store.listMessages("c1", 10)).map((r) => r.id);
  out.newest2 = (await store.listMessages("c1", 2)).map((r) => r.id);
  out.newest3 = (await store.listMessages("c1", 3)).map((r) => r.id);
  out.zero = (await store.listMessages("c1", 0)).length;
  // A page before a row: by sort key, then id (rows of the same sort key before it only).
  out.beforeM3 = (await store.listMessages("c1", 10, { sortKey: 30, id: "m3" })).map((r) => r.id);
  out.beforeM2b = (await store.listMessages("c1", 10, { sortKey: 20, id: "m2b" })).map((r) => r.id);
  out.beforeM2aOne = (await store.listMessages("c1", 1, { sortKey: 20, id: "m2b" })).map((r) => r.id);
  out.beforeFirst = (await store.listMessages("c1", 10, { sortKey: 10, id: "m1" })).length;
  // Every conversation's rows in id order, paged (what store migrations use).
  out.scanAll = (await store.scanMessages(undefined, 10)).map((r) => r.id);
  out.scanPage = (await store.scanMessages("m2a", 2)).map((r) => r.id);
  out.scanZero = (await store.scanMessages(undefined, 0)).length;
  const row = await store.getMessage("x1");
  out.row = { id: row.id, conversationId: row.conversationId, sortKey: row.sortKey, data: dec(row.data), bytes: row.data instanceof Uint8Array };
  out.noRow = (await store.getMessage("nope")) === undefined;
  // A view into a larger buffer stores only its own bytes.
  const big = enc("0123456789");
  await store.commit({ puts: [{ key: "view", value: big.subarray(2, 5) }] });
  out.view = dec(await store.get("view"));
  // Prefix deletions go first: a batch can clear a key range and write under it again.
  await store.commit({
    puts: [{ key: "mls:a/h", value: enc("1") }, { key: "mls:a/c/1", value: enc("2") }, { key: "mls:ab/h", value: enc("3") }],
  });
  await store.commit({ deletePrefixes: ["mls:a/"], puts: [{ key: "mls:a/h", value: enc("4") }] });
  out.prefixDeleted = (await store.list("mls:")).map(([k, v]) => k + "=" + dec(v));
  // Rewriting a message row replaces it.
  await store.commit({ messages: [{ id: "m1", conversationId: "c1", sortKey: 10, data: enc("first!") }] });
  out.rewritten = dec((await store.getMessage("m1")).data);
  // A failing batch (a message row without its key path) leaves nothing behind.
  try {
    await store.commit({ puts: [{ key: "atomic", value: enc("no") }], messages: [{ conversationId: "c1", sortKey: 1, data: enc("x") }] });
    out.atomic = "committed?!";
  } catch {
    out.atomic = (await store.get("atomic")) === undefined ? "rolled back" : "partial";
  }
  // An outgoing file is kept as a Blob (on disk, not copied into memory) until it is uploaded.
  await store.putBlob("attsrc:m1/00", new Blob([enc("file one")], { type: "text/plain" }));
  await store.putBlob("attsrc:m1/01", new Blob([enc("file two")]));
  await store.putBlob("attsrc:m10/00", new Blob([enc("other message")]));
  await store.close();
  store = await IndexedDbClientStore.open(name);
  out.reopened = dec(await store.get("kp:1"));
  const blob = await store.getBlob("attsrc:m1/00");
  out.blob = { text: await blob.text(), type: blob.type, isBlob: blob instanceof Blob };
  await store.deleteBlobs("attsrc:m1/");
  out.blobsLeft = [(await store.getBlob("attsrc:m1/01")) === undefined, await (await store.getBlob("attsrc:m10/00")).text()];
  await store.close();
  return out;
}
`;

const EXPECTED = {
  get: "A2",
  isBytes: true,
  missing: true,
  list: ["conv:a=A2", "conv:b=B"],
  listEmpty: 0,
  all: ["m1", "m2a", "m2b", "m3"],
  newest2: ["m2b", "m3"],
  newest3: ["m2a", "m2b", "m3"],
  zero: 0,
  beforeM3: ["m1", "m2a", "m2b"],
  beforeM2b: ["m1", "m2a"],
  beforeM2aOne: ["m2a"],
  beforeFirst: 0,
  scanAll: ["m1", "m2a", "m2b", "m3", "x1"],
  scanPage: ["m2b", "m3"],
  scanZero: 0,
  row: { id: "x1", conversationId: "c2", sortKey: 15, data: "other", bytes: true },
  noRow: true,
  view: "234",
  prefixDeleted: ["mls:a/h=4", "mls:ab/h=3"],
  rewritten: "first!",
  atomic: "rolled back",
  reopened: "K",
  blob: { text: "file one", type: "text/plain", isBlob: true },
  blobsLeft: [true, "other message"],
};

describe.skipIf(setup.skip)("IndexedDbClientStore in Chromium", () => {
  let server: Server;
  let origin: string;
  let browser: Browser;
  beforeAll(async () => {
    if (setup.failure) throw new Error(setup.failure);
    const files: Record<string, string> = {
      "/": "<!doctype html><title>store test</title>",
      "/store.js": readFileSync(STORE_JS, "utf8"),
      "/scenario.js": SCENARIO,
      "/worker.js": `import { scenario } from "/scenario.js";
        self.onmessage = async (e) => {
          try { self.postMessage({ ok: await scenario(e.data) }); }
          catch (err) { self.postMessage({ error: String(err) }); }
        };`,
    };
    server = createServer((req, res) => {
      const body = files[req.url ?? ""];
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": req.url === "/" ? "text/html" : "text/javascript" }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });
  afterAll(async () => {
    await browser?.close();
    // (a setup that failed early started no server: closing nothing must not wait forever)
    if (server) await new Promise((r) => server.close(r));
  });

  it("stores bytes, lists by prefix, orders and scans messages, commits atomically and persists (page)", async () => {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    // A string, so the test runner's transform does not rewrite the dynamic import.
    const got = await page.evaluate(`import("/scenario.js").then((m) => m.scenario("volly-page-test"))`);
    expect(got).toEqual(EXPECTED);
    await page.close();
  });

  it("works the same inside a Web Worker", async () => {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    const got = await page.evaluate(
      () =>
        new Promise((resolveResult) => {
          const worker = new Worker("/worker.js", { type: "module" });
          worker.onmessage = (e) => resolveResult(e.data);
          worker.onerror = (e) => resolveResult({ error: e.message });
          worker.postMessage("volly-worker-test");
        }),
    );
    expect(got).toEqual({ ok: EXPECTED });
    await page.close();
  });
});
