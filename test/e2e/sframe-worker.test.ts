import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { MlsSFrameContext, type SFrameMlsEpoch } from "@volly/crypto";
import type { Browser } from "playwright-core";
import { rolldown } from "rolldown";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removableTempDir } from "../helpers/temp-dir.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";

/**
 * The SFrame stack of @volly/crypto (RFC 9605) inside a browser Worker, where calls run it
 * (RTCRtpScriptTransform's worker): bundled for the browser from the built package — only the
 * worker-safe modules (no MLS, no node:*) — it seals and opens frames that Node's copy opens and
 * seals, so both platforms agree on header, key schedule, nonce and AEAD.
 */

const DIST = resolve(import.meta.dirname, "../../packages/crypto/dist/sframe");
const ORIGIN = "http://127.0.0.1:9"; // requests are answered by page.route: no server; a secure context

/** Runs in the worker: one message in (epoch data + Node's frame), one out (opened + own frame). */
const WORKER_ENTRY = `
import { MlsSFrameContext } from ${JSON.stringify(join(DIST, "mls-context.js"))};
self.onmessage = async (event) => {
  const { epoch, fromNode, tampered } = event.data;
  try {
    const ctx = new MlsSFrameContext();
    await ctx.setEpoch({ ...epoch, ownSenderIndex: 1 });
    const opened = await ctx.decrypt(fromNode);
    let tamperedCause = "opened";
    try { await ctx.decrypt(tampered); } catch (err) { tamperedCause = err.details?.cause ?? String(err); }
    const fromWorker = await ctx.encrypt(new TextEncoder().encode("frame from the worker"));
    self.postMessage({ ok: true, text: new TextDecoder().decode(opened.plaintext), sender: opened.senderIndex, tamperedCause, fromWorker });
  } catch (err) {
    self.postMessage({ ok: false, error: String(err && err.stack || err) });
  }
};
`;

describe.runIf(browserTestsEnabled())("SFrame in a browser worker", () => {
  let browser: Browser;
  let workerJs: string;
  const temp = removableTempDir("volly-sframe-");

  beforeAll(async () => {
    const entry = join(temp.dir, "entry.js");
    writeFileSync(entry, WORKER_ENTRY);
    const bundle = await rolldown({ input: entry, platform: "browser" });
    const { output } = await bundle.generate({ format: "esm" });
    await bundle.close();
    workerJs = output[0].code;
    expect(workerJs, "no Node built-in reaches the worker bundle").not.toMatch(/from\s*["']node:/);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    temp.remove();
  });

  it("frames sealed in Node open in the worker and the reverse; a tampered one does not", async () => {
    const epoch: SFrameMlsEpoch = {
      cipherSuite: 0x0005,
      epoch: 9,
      baseKey: crypto.getRandomValues(new Uint8Array(32)),
      ownSenderIndex: 0,
      senderIndices: [0, 1],
    };
    const node = new MlsSFrameContext();
    await node.setEpoch(epoch);
    const fromNode = await node.encrypt(new TextEncoder().encode("frame from node"));
    const tampered = await node.encrypt(new TextEncoder().encode("second frame"));
    tampered[tampered.length - 1]! ^= 0x80;

    const page = await browser.newPage();
    await page.route(`${ORIGIN}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === "/worker.js") return route.fulfill({ contentType: "text/javascript", body: workerJs });
      return route.fulfill({ contentType: "text/html", body: "<!doctype html><title>sframe</title>" });
    });
    await page.goto(`${ORIGIN}/`);
    const result = await page.evaluate(
      ({ epoch, fromNode, tampered }) =>
        new Promise<Record<string, unknown>>((done) => {
          const worker = new Worker("/worker.js", { type: "module" });
          worker.onmessage = (event) => done(event.data);
          worker.onerror = (event) => done({ ok: false, error: event.message });
          worker.postMessage({
            epoch: { ...epoch, baseKey: new Uint8Array(epoch.baseKey) },
            fromNode: new Uint8Array(fromNode),
            tampered: new Uint8Array(tampered),
          });
        }),
      { epoch: { ...epoch, baseKey: [...epoch.baseKey] }, fromNode: [...fromNode], tampered: [...tampered] },
    );
    expect(result, String(result.error)).toMatchObject({
      ok: true,
      text: "frame from node",
      sender: 0,
      tamperedCause: "authentication",
    });
    const fromWorker = Uint8Array.from(Object.values(result.fromWorker as Record<string, number>));
    const opened = await node.decrypt(fromWorker);
    expect(opened.senderIndex).toBe(1);
    expect(new TextDecoder().decode(opened.plaintext)).toBe("frame from the worker");
    await page.close();
  });
});
