import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  closeDialog,
  conversationItem,
  createInviteLink,
  expectAccessible,
  onboard,
  openConversation,
  saveFailureScreens,
  screenshot,
  sendMessage,
  tabTo,
  type WebUser,
  watchErrors,
} from "./helpers/web-app.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");

/**
 * The message whose own text contains `text` (`messageWithText` would also match a reply quoting
 * it: the quote is in the reply's bubble too).
 */
function messageWithText(page: Page, text: string): Locator {
  return page.getByTestId("message").filter({ has: page.locator(".bubble > .text", { hasText: text }) });
}

/** A reaction chip of a message, by emoji. */
function chip(message: Locator, emoji: string): Locator {
  return message.locator(`[data-testid=reaction][data-emoji="${emoji}"]`);
}

/** The accessible name of a message's reaction chip (undefined when there is none). */
async function chipLabel(message: Locator, emoji: string): Promise<string | null> {
  const c = chip(message, emoji);
  return (await c.count()) === 0 ? null : c.getAttribute("aria-label");
}

/** The id of the message with this text. */
async function idOf(page: Page, text: string): Promise<string> {
  return (await messageWithText(page, text).getAttribute("data-id")) ?? "";
}

/** Opens the "More actions" menu of a message and picks `item`. */
async function moreAction(message: Locator, item: string): Promise<void> {
  await message.hover();
  await message.getByRole("button", { name: "More actions" }).click();
  await message.page().getByRole("menuitem", { name: item }).click();
}

/**
 * The message actions of the web app end to end (issue 13): a real `volly serve` process, Debian's
 * Chromium with one context per person (alice and bob), and a Node SDK device (erin) whose
 * reaction and edit must show in alice's open chat as they happen. Tests build on each other.
 */
describe.skipIf(!browserTestsEnabled())("web app: message actions in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  let erin: VollyClient | undefined;
  const errors: string[] = [];
  const users: Record<string, WebUser> = {};

  async function newUser(name: string, pin: string, url?: string): Promise<WebUser> {
    const context = await browser.newContext({
      viewport: { width: 1180, height: 760 },
      locale: "en-GB",
      reducedMotion: "reduce",
    });
    const page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(url ?? server.url);
    await page.getByLabel("Your name").waitFor();
    return { context, page, name, handle: "", pin };
  }

  beforeAll(async () => {
    expect(existsSync(WEB_INDEX), "packages/web/dist is missing: run `npm run build`").toBe(true);
    server = await startServerProcess();
    browser = await launchChromium();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    await saveFailureScreens(users, "actions-", ctx.task.name);
  });

  afterAll(async () => {
    await erin?.close();
    await browser?.close();
    await server?.stop();
  });

  it("setup: alice invites bob; both have their chat open", async () => {
    const alice = await newUser("Alice Liddell", "135790");
    alice.handle = await onboard(alice.page, alice.name, alice.pin);
    users.alice = alice;
    const link = await createInviteLink(alice.page);
    await closeDialog(alice.page);
    const bob = await newUser("Bob Stone", "246801", link);
    bob.handle = await onboard(bob.page, bob.name, bob.pin);
    users.bob = bob;
    await expect
      .poll(() => bob.page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
      .toBe("Alice Liddell");
    await conversationItem(alice.page, "Bob Stone").waitFor({ timeout: 30_000 });
    await openConversation(alice.page, "Bob Stone");
  });

  it("reactions: bob reacts from the toolbar by keyboard, alice sees the count and who, adds hers by the chip; bob takes his back", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    await sendMessage(alice.page, "Lunch at noon?");
    const onBob = messageWithText(bob.page, "Lunch at noon?");
    await onBob.waitFor({ timeout: 20_000 });

    // keyboard: Shift+Tab from the composer reaches the message's toolbar (one stop per message)
    await bob.page.getByTestId("composer").focus();
    const react = onBob.getByRole("button", { name: "React to message from Alice Liddell" });
    await tabTo(bob.page, react, "Shift+Tab");
    // arrow keys move within the toolbar; Home comes back
    await bob.page.keyboard.press("ArrowRight");
    expect(
      await onBob.getByRole("button", { name: "Reply" }).evaluate((el) => el === document.activeElement),
    ).toBe(true);
    await bob.page.keyboard.press("Home");
    await bob.page.keyboard.press("Enter");
    const picker = onBob.getByRole("group", { name: "Emoji" });
    await picker.waitFor();
    await expectAccessible(bob.page, "reaction picker");
    // Escape closes the picker and gives the focus back to the toolbar
    await bob.page.keyboard.press("Escape");
    await picker.waitFor({ state: "detached" });
    expect(await react.evaluate((el) => el === document.activeElement)).toBe(true);
    await bob.page.keyboard.press("Enter");
    await picker.getByRole("button", { name: "React with 👍" }).click();
    await expect.poll(() => chipLabel(onBob, "👍")).toBe("👍 1 reaction: you reacted");
    expect(await chip(onBob, "👍").getAttribute("aria-pressed")).toBe("true");

    const onAlice = messageWithText(alice.page, "Lunch at noon?");
    await expect.poll(() => chipLabel(onAlice, "👍"), { timeout: 20_000 }).toBe("👍 1 reaction: Bob Stone");
    expect(await chip(onAlice, "👍").getAttribute("aria-pressed")).toBe("false");
    await chip(onAlice, "👍").click();
    await expect.poll(() => chipLabel(onAlice, "👍")).toBe("👍 2 reactions: Bob Stone; you reacted");
    expect(await chip(onAlice, "👍").getAttribute("aria-pressed")).toBe("true");
    await expect
      .poll(() => chipLabel(onBob, "👍"), { timeout: 20_000 })
      .toBe("👍 2 reactions: Alice Liddell; you reacted");
    expect(await chip(onBob, "👍").textContent()).toBe("👍2");

    // bob takes his back by clicking his chip
    await chip(onBob, "👍").click();
    await expect.poll(() => chipLabel(onBob, "👍")).toBe("👍 1 reaction: Alice Liddell");
    expect(await chip(onBob, "👍").getAttribute("aria-pressed")).toBe("false");
    await expect.poll(() => chipLabel(onAlice, "👍"), { timeout: 20_000 }).toBe("👍 1 reaction: you reacted");
  });

  it("reply: bob's quote bar (Escape cancels), the quote on alice's side jumps to the original and focuses it", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    const onBob = messageWithText(bob.page, "Lunch at noon?");
    await onBob.hover();
    await onBob.getByRole("button", { name: "Reply" }).click();
    const bar = bob.page.getByTestId("reply-bar");
    await bar.waitFor();
    expect(await bar.textContent()).toContain("Replying to Alice Liddell");
    expect(await bar.textContent()).toContain("Lunch at noon?");
    // the composer has the focus; Escape there cancels the reply
    expect(await bob.page.getByTestId("composer").evaluate((el) => el === document.activeElement)).toBe(true);
    await bob.page.keyboard.press("Escape");
    await bar.waitFor({ state: "detached" });

    // again, from the right-click menu this time
    await onBob.locator(".text").click({ button: "right" });
    const menu = bob.page.getByRole("menu", { name: "Actions for the message from Alice Liddell" });
    await menu.waitFor();
    await expectAccessible(bob.page, "message menu");
    await menu.getByRole("menuitem", { name: "Reply" }).click();
    await bar.waitFor();
    await expectAccessible(bob.page, "reply bar");
    await sendMessage(bob.page, "Yes, see you there");

    const reply = messageWithText(alice.page, "Yes, see you there");
    await reply.waitFor({ timeout: 20_000 });
    const quote = reply.getByTestId("reply-quote");
    expect(await quote.textContent()).toMatch(/In reply to\s*You\s*Lunch at noon\?/);
    await quote.click();
    const originalId = await idOf(alice.page, "Lunch at noon?");
    await expect
      .poll(() => alice.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id))
      .toBe(originalId);
    expect(await messageWithText(alice.page, "Lunch at noon?").getAttribute("class")).toContain("highlight");
  });

  it("edit: alice edits in place (Escape cancels, Enter saves); bob sees the new text, '(edited)' and the quote follows", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    const mine = messageWithText(alice.page, "Lunch at noon?");
    // bob cannot edit alice's message: his menu has no Edit
    const onBob = messageWithText(bob.page, "Lunch at noon?");
    await onBob.hover();
    await onBob.getByRole("button", { name: "More actions" }).click();
    await bob.page.getByRole("menu").waitFor();
    expect(await bob.page.getByRole("menuitem", { name: "Edit" }).count()).toBe(0);
    await bob.page.keyboard.press("Escape");
    await bob.page.getByRole("menu").waitFor({ state: "detached" });

    await moreAction(mine, "Edit");
    const input = alice.page.getByLabel("Edit message");
    await input.waitFor();
    await input.fill("Lunch at 2pm?");
    await input.press("Escape");
    await input.waitFor({ state: "detached" });
    expect(await mine.textContent()).toContain("Lunch at noon?");

    await moreAction(mine, "Edit");
    await input.fill("Lunch at 1pm?");
    await expectAccessible(alice.page, "message editor");
    await input.press("Enter");
    const edited = messageWithText(alice.page, "Lunch at 1pm?");
    await edited.getByTestId("edited").waitFor();
    expect(await edited.getByTestId("edited").getAttribute("title")).toMatch(/^Edited /);

    const onBobEdited = messageWithText(bob.page, "Lunch at 1pm?");
    await onBobEdited.getByTestId("edited").waitFor({ timeout: 20_000 });
    expect(await onBobEdited.getByTestId("edited").textContent()).toBe("(edited)");
    // the reaction stays, and bob's reply quotes the text as it is now
    expect(await chipLabel(onBobEdited, "👍")).toBe("👍 1 reaction: Alice Liddell");
    await expect
      .poll(() => messageWithText(bob.page, "Yes, see you there").getByTestId("reply-quote").textContent())
      .toContain("Lunch at 1pm?");
  });

  it("delete for everyone: bob deletes his message, alice sees the tombstone; her reply says the original was deleted", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    await sendMessage(bob.page, "oops, wrong chat");
    const onAlice = messageWithText(alice.page, "oops, wrong chat");
    await onAlice.waitFor({ timeout: 20_000 });
    // alice answers it, quoting it
    await onAlice.hover();
    await onAlice.getByRole("button", { name: "Reply" }).click();
    await sendMessage(alice.page, "Which chat?");
    await messageWithText(bob.page, "Which chat?").waitFor({ timeout: 20_000 });

    // alice may only delete bob's message for herself
    await moreAction(onAlice, "Delete…");
    const aliceDialog = alice.page.getByRole("alertdialog", { name: "Delete this message?" });
    await aliceDialog.waitFor();
    expect(await aliceDialog.getByRole("button", { name: "Delete for everyone" }).count()).toBe(0);
    await aliceDialog.getByRole("button", { name: "Cancel" }).click();
    await aliceDialog.waitFor({ state: "detached" });

    const onBob = messageWithText(bob.page, "oops, wrong chat");
    const id = await onBob.getAttribute("data-id");
    await moreAction(onBob, "Delete…");
    const dialog = bob.page.getByRole("alertdialog", { name: "Delete this message?" });
    await dialog.waitFor();
    await expectAccessible(bob.page, "delete dialog");
    await screenshot(bob.page, "message-delete");
    await dialog.getByRole("button", { name: "Delete for everyone" }).click();
    await dialog.waitFor({ state: "detached" });

    const tombstone = (page: Page) => page.locator(`[data-testid=message][data-id="${id}"]`);
    await tombstone(bob.page).getByTestId("tombstone").waitFor();
    // the focus stays with the message, now its tombstone
    await expect
      .poll(() => bob.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id))
      .toBe(id);
    await tombstone(alice.page).getByTestId("tombstone").waitFor({ timeout: 20_000 });
    expect(await tombstone(alice.page).textContent()).toContain("Message deleted");
    expect(await tombstone(alice.page).textContent()).not.toContain("oops");
    expect(await alice.page.getByTestId("messages").textContent()).not.toContain("wrong chat");
    await expect
      .poll(() => messageWithText(alice.page, "Which chat?").getByTestId("reply-quote").textContent())
      .toBe("Original message deleted");
  });

  it("delete for me: alice removes her message here only; bob still has it", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    await moreAction(messageWithText(alice.page, "Which chat?"), "Delete…");
    const dialog = alice.page.getByRole("alertdialog", { name: "Delete this message?" });
    await dialog.getByRole("button", { name: "Delete for me" }).click();
    await messageWithText(alice.page, "Which chat?").waitFor({ state: "detached" });
    expect(await messageWithText(bob.page, "Which chat?").count()).toBe(1);
  });

  it("pins: alice pins, bob sees the mark and the pinned list (a click jumps to the message), bob unpins", async () => {
    const { alice, bob } = users as { alice: WebUser; bob: WebUser };
    // more messages, so the jump has somewhere to go
    for (const n of [1, 2, 3, 4, 5, 6]) await sendMessage(alice.page, `Filler ${n}`);
    await messageWithText(bob.page, "Filler 6").waitFor({ timeout: 20_000 });

    await moreAction(messageWithText(alice.page, "Lunch at 1pm?"), "Pin");
    const onBob = messageWithText(bob.page, "Lunch at 1pm?");
    await onBob.getByTestId("pinned-mark").waitFor({ timeout: 20_000 });

    await bob.page.getByRole("button", { name: "Pinned messages" }).click();
    const dialog = bob.page.getByRole("dialog", { name: "Pinned messages" });
    const items = dialog.getByTestId("pinned-item");
    await expect.poll(() => items.count()).toBe(1);
    expect(await items.first().textContent()).toContain("Lunch at 1pm?");
    await expectAccessible(bob.page, "pinned messages");
    await screenshot(bob.page, "message-pins");
    await items.first().click();
    await dialog.waitFor({ state: "detached" });
    const id = await onBob.getAttribute("data-id");
    await expect
      .poll(() => bob.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id))
      .toBe(id);

    await moreAction(onBob, "Unpin");
    await onBob.getByTestId("pinned-mark").waitFor({ state: "detached" });
    const onAlice = messageWithText(alice.page, "Lunch at 1pm?");
    await onAlice.getByTestId("pinned-mark").waitFor({ state: "detached", timeout: 20_000 });
    await alice.page.getByRole("button", { name: "Pinned messages" }).click();
    await alice.page.getByText("No pinned messages yet").waitFor();
    await closeDialog(alice.page);
  });

  it("screens: the chat with reactions, a reply, an edit, a tombstone; axe clean; at 320 px too", async () => {
    const { alice } = users as { alice: WebUser };
    await moreAction(messageWithText(alice.page, "Lunch at 1pm?"), "Pin");
    await messageWithText(alice.page, "Lunch at 1pm?").getByTestId("pinned-mark").waitFor();
    // one toolbar showing: the hovered message's (the focus back in the composer)
    await alice.page.getByTestId("composer").focus();
    await messageWithText(alice.page, "Yes, see you there").hover();
    await expectAccessible(alice.page, "chat with message actions");
    await screenshot(alice.page, "message-actions");

    await alice.page.setViewportSize({ width: 320, height: 640 });
    const reply = messageWithText(alice.page, "Yes, see you there");
    await reply.scrollIntoViewIfNeeded();
    await reply.getByRole("button", { name: "React to message from Bob Stone" }).focus();
    // nothing reaches past the screen's edge
    const overflow = await alice.page.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(320);
    await expectAccessible(alice.page, "chat with message actions at 320 px");
    await screenshot(alice.page, "message-actions-320");
    await alice.page.keyboard.press("Enter");
    const picker = reply.getByRole("group", { name: "Emoji" });
    await picker.waitFor();
    const box = await picker.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 320).toBe(true);
    await screenshot(alice.page, "message-react-320");
    await alice.page.keyboard.press("Escape");
    await picker.waitFor({ state: "detached" });
    await alice.page.setViewportSize({ width: 1180, height: 760 });
  });

  it("live: a reaction and an edit from a Node SDK device show in alice's open chat as they happen", async () => {
    const { alice } = users as { alice: WebUser };
    erin = await initNodeProfile(
      join(tempDir(), "erin"),
      {
        serverUrl: server.url,
        handle: "erin.park",
        displayName: "Erin Park",
        pin: "123456",
        kdf: { memoryKiB: 1024, iterations: 1 },
      },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    await erin.connect();
    const conv = await erin.resolveConversation(`@${alice.handle}`);
    const hello = await erin.messaging.send(conv.id, "Hello from Node");
    await conversationItem(alice.page, "Erin Park").waitFor({ timeout: 30_000 });
    await openConversation(alice.page, "Erin Park");
    await messageWithText(alice.page, "Hello from Node").waitFor({ timeout: 20_000 });
    await sendMessage(alice.page, "Hi Erin");
    const client = erin;
    let hiId = "";
    await waitFor(
      async () => {
        const found = (await client.messaging.history(conv.id)).find(
          (m) => m.body.type === "text" && m.body.text === "Hi Erin",
        );
        hiId = found?.id ?? "";
        return found !== undefined;
      },
      { timeoutMs: 20_000, message: "erin receives alice's message" },
    );

    await erin.messaging.react(conv.id, hiId, "🎉");
    const hi = messageWithText(alice.page, "Hi Erin");
    await expect.poll(() => chipLabel(hi, "🎉"), { timeout: 20_000 }).toBe("🎉 1 reaction: Erin Park");
    await expect
      .poll(() => alice.page.getByTestId("action-announcement").textContent())
      .toBe("Erin Park reacted 🎉");

    await erin.messaging.edit(conv.id, hello.id, "Hello from Node, edited");
    const edited = messageWithText(alice.page, "Hello from Node, edited");
    await edited.getByTestId("edited").waitFor({ timeout: 20_000 });
    await erin.messaging.unreact(conv.id, hiId, "🎉");
    await expect.poll(() => chip(hi, "🎉").count(), { timeout: 20_000 }).toBe(0);
    expect(errors).toEqual([]);
  });
});
