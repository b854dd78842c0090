import { join } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile, weriftPeerFactory } from "@volly/client/node";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { TEST_KDF } from "../integration/helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  closeDialog,
  createInviteLink,
  expectAccessible,
  messageWithText,
  onboard,
  openConversation,
  PAGE_POLL,
  screenshot,
  watchErrors,
} from "./helpers/web-app.js";

/**
 * Direct paths between the web app and a Node client (issue 17), end to end: a real `volly serve`
 * process, alice in Chromium (the SDK in its worker, the RTCPeerConnection on the UI thread), dan
 * on the SDK with werift. Alice clicks "Connect directly" in the conversation's details: the hello
 * and SDP go through the server sealed in MLS, a data channel opens, both sides name each other,
 * and dan's next message goes over it (and through the server) and shows once on alice's page.
 *
 * Chromium runs with its defaults: its host candidates are mDNS `.local` names, which werift cannot
 * resolve, and the test server has no STUN/TURN. The path still opens because dan offers (he
 * answers alice's hello) with plain host addresses: Chromium's connectivity checks reach them and
 * werift learns Chromium's address as a peer-reflexive candidate (RFC 8445 §7.3.1.3).
 */
describe.skipIf(!browserTestsEnabled())("web direct path to a Node client", () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let dan: VollyClient;
  let aliceHandle = "";
  let conv = "";
  /** Alice's browser's device id, as dan's direct path names it. */
  let browserDevice = "";
  const errors: string[] = [];

  beforeAll(async () => {
    server = await startServerProcess();
    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1180, height: 760 },
      reducedMotion: "reduce",
    });
    page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(server.url);
    await page.getByLabel("Your name").waitFor();
    aliceHandle = await onboard(page, "Alice Direct", "246810");
    dan = await initNodeProfile(
      join(tempDir("volly-web-direct-"), "dan"),
      { serverUrl: server.url, handle: "dan.direct", displayName: "Dan", pin: "123456", kdf: TEST_KDF },
      { initialBackoffMs: 50, maxBackoffMs: 300, direct: { peers: weriftPeerFactory() } },
    );
    await dan.connect();
    await dan.invites.accept(await createInviteLink(page));
    await closeDialog(page);
    conv = (await dan.resolveConversation(`@${aliceHandle}`)).id;
    await dan.messaging.send(conv, "hello through the server");
  });
  afterAll(async () => {
    await dan?.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("connects directly after signaling over MLS; the details name the Node peer", async () => {
    await openConversation(page, "Dan");
    await messageWithText(page, "hello through the server").waitFor({ timeout: 30_000 });
    expect(dan.direct.peers()).toEqual([]);
    await page.getByTestId("open-verify").click();
    const section = page.getByTestId("direct-connection");
    await section.waitFor();
    const status = section.getByTestId("direct-status");
    expect(await status.textContent()).toBe("No direct connection: messages go through the server.");
    expect(await status.getAttribute("aria-live")).toBe("polite");
    await section.getByRole("button", { name: "Connect directly" }).click();

    await waitFor(() => dan.direct.peers().some((p) => p.handle === aliceHandle), {
      timeoutMs: 40_000,
      message: "dan has a direct path to alice's browser",
    });
    const [browserPeer] = dan.direct.peers();
    expect(browserPeer).toMatchObject({ handle: aliceHandle, via: "server" });
    expect(browserPeer?.deviceId).not.toBe(dan.profile.deviceId);
    browserDevice = browserPeer?.deviceId ?? "";

    await waitFor(async () => (await status.getAttribute("data-count")) === "1", {
      ...PAGE_POLL,
      message: "the page names the direct path",
    });
    expect(await status.textContent()).toBe("Connected directly to @dan.direct (1 device).");
    expect(await section.getByTestId("direct-peer").getAttribute("data-device")).toBe(dan.profile.deviceId);
    await expectAccessible(page, "conversation details with a direct connection");
    await section.scrollIntoViewIfNeeded();
    await screenshot(page, "direct-connection");
    await closeDialog(page);
  });

  it("a message from the Node client goes over the data channel and shows once on the page", async () => {
    const before = dan.direct.counts().sent;
    const sent = await dan.messaging.send(conv, "hello over the data channel");
    await waitFor(() => dan.direct.counts().sent > before, { message: "dan sent a frame over the channel" });
    const shown = messageWithText(page, "hello over the data channel");
    await shown.waitFor({ timeout: 20_000 });
    // the server's copy goes out too; the page drops whichever comes second (by message id)
    await waitFor(
      async () => (await dan.messaging.history(conv, 10)).find((m) => m.id === sent.id)?.seq !== undefined,
      {
        message: "the server's log has dan's message",
      },
    );
    expect(await shown.count()).toBe(1);
    expect(dan.direct.connectedTo(browserDevice)).toBe(true);
    expect(errors).toEqual([]);
  });
});
