import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { ConversationRecord, MessageRecord, VollyClient } from "@volly/client";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  clientOn,
  type FederatedServer,
  startFederatedServer,
} from "../federation/helpers/federated-servers.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  conversationItem,
  messageWithText,
  onboard,
  saveFailureScreens,
  sendMessage,
  type WebUser,
  watchErrors,
} from "./helpers/web-app.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");

/** Where the test leaves its screenshot of the conversation (looked at by whoever changes the UI). */
const SCREENSHOT = "/tmp/web-federation.png";

/** The texts of `client`'s messages in a conversation, oldest first (incoming and outgoing). */
async function textsIn(client: VollyClient, conversationId: string): Promise<string[]> {
  const history: MessageRecord[] = await client.messaging.history(conversationId, 1000);
  return history.flatMap((m) => (m.body.type === "text" ? [m.body.text] : []));
}

/**
 * The web app across federated servers: two `volly serve` processes on 127.0.0.2 and 127.0.0.3,
 * each serving the web app at its URL. Ada registers in Chromium on server A; bob is an SDK client
 * of server B. Ada writes to `@bob@<B>` from New message, bob reads it and answers, and ada's page
 * shows the answer and names bob qualified by his server (`@bob@127.0.0.3:<port>`).
 */
describe.skipIf(!browserTestsEnabled())("web app: a conversation with another server's account", () => {
  let a: FederatedServer;
  let b: FederatedServer;
  let browser: Browser;
  let bob: VollyClient;
  const home = tempDir("volly-web-fed-");
  const errors: string[] = [];
  const users: Record<string, WebUser> = {};

  beforeAll(async () => {
    expect(existsSync(WEB_INDEX), "packages/web/dist is missing: run `npm run build`").toBe(true);
    [a, b, browser] = await Promise.all([
      startFederatedServer("127.0.0.2"),
      startFederatedServer("127.0.0.3"),
      launchChromium(),
    ]);
    bob = await clientOn(home, b, "bob");
    await bob.connect();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    await saveFailureScreens(users, "federation-", ctx.task.name);
  });

  afterAll(async () => {
    await bob?.close().catch(() => undefined);
    await browser?.close();
    await Promise.all([a, b].map((server) => server?.process.stop()));
  });

  it("ada on A writes to @bob@B from New message; bob answers; ada sees the answer and bob qualified", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB" });
    const page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(a.url);
    await page.getByLabel("Your name").waitFor();
    const ada: WebUser = { context, page, name: "Ada Lovelace", handle: "", pin: "246810" };
    users.ada = ada;
    ada.handle = await onboard(page, ada.name, ada.pin);

    const bobThere = `bob@${b.name}`;
    await page.getByRole("button", { name: "New message" }).click();
    const dialog = page.getByTestId("new-message-dialog");
    await dialog.waitFor();
    const to = dialog.getByLabel("To");
    // An unknown account of the other server is said to be unknown (server A asks server B).
    await to.fill(`@nobody@${b.name}`);
    await expect
      .poll(() => dialog.getByTestId("new-message-error").textContent(), { timeout: 30_000 })
      .toBe(`No one has the handle @nobody@${b.name}.`);
    // Typed as users type it: capitals and the leading @ are fine.
    await to.fill(`@Bob@${b.name}`);
    const found = dialog.getByTestId("new-message-found");
    await found.waitFor({ timeout: 30_000 });
    expect(await found.textContent()).toContain(`@${bobThere}`);
    await dialog.getByTestId("new-message-start").click();
    await dialog.waitFor({ state: "detached", timeout: 60_000 });

    // The conversation's header names bob as server A shows him: qualified by his server.
    const header = page.locator("header").filter({ has: page.getByTestId("chat-title") });
    await expect
      .poll(() => header.locator(".handle").textContent(), { timeout: 30_000 })
      .toBe(`@${bobThere}`);

    await sendMessage(page, "Hello Bob, from server A");
    await messageWithText(page, "Hello Bob, from server A").waitFor({ timeout: 30_000 });

    // bob, on server B, is invited into the conversation and reads ada's message.
    let dm: ConversationRecord | undefined;
    await waitFor(
      async () => {
        const list = await bob.conversations.list();
        dm = list.find((c) => c.kind === "direct" && c.peerHandle === `${ada.handle}@${a.name}`);
        return dm !== undefined;
      },
      { message: "bob joins ada's conversation, ada named qualified by server A", timeoutMs: 60_000 },
    );
    if (!dm) throw new Error("unreachable");
    const dmId = dm.id;
    await waitFor(async () => (await textsIn(bob, dmId)).includes("Hello Bob, from server A"), {
      message: "bob reads ada's message",
      timeoutMs: 60_000,
    });
    // bob names ada as his server shows her (qualified by A): her page marks it as a mention of her.
    await bob.messaging.send(dmId, `Hi @${ada.handle}@${a.name}, answering from server B`);

    const answer = messageWithText(page, "answering from server B");
    await answer.waitFor({ timeout: 60_000 });
    const mention = answer.getByTestId("mention");
    expect(await mention.textContent()).toBe(`@${ada.handle}@${a.name} (mention of you)`);
    expect(await mention.getAttribute("data-mention")).toBe("me");
    expect(await header.locator(".handle").textContent()).toBe(`@${bobThere}`);
    // He set no display name: the title and the conversation list name him qualified too.
    expect(await page.getByTestId("chat-title").textContent()).toContain(bobThere);
    const item = conversationItem(page, bobThere);
    await expect.poll(() => item.textContent(), { timeout: 30_000 }).toContain("answering from server B");
    await page.screenshot({ path: SCREENSHOT });
    expect(errors).toEqual([]);
  });
});
