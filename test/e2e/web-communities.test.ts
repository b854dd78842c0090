import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { MessageRecord, VollyClient } from "@volly/client";
import { initNodeProfile } from "@volly/client/node";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, launchChromium } from "./helpers/chromium.js";
import {
  animationsSettled,
  closeDialog,
  expectAccessible,
  messageWithText,
  onboard,
  screenshot,
  sendMessage,
  tabTo,
  type WebUser,
  watchErrors,
} from "./helpers/web-app.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../packages/web/dist/index.html");
const COMMUNITY = "Makers Guild";

/**
 * Communities in the web app, as a Discord user would use them: ada creates a community and a
 * private channel in Debian's Chromium, invites bob (a real SDK device in Node) by link, they talk
 * in #general, ada gives bob a role that sees the private channel, then times him out and kicks him
 * from the member list. One real `volly serve` child process; the tests run in order.
 */
describe.skipIf(!browserTestsEnabled())("web app: communities in Chromium", () => {
  let server: ServerProcess;
  let browser: Browser;
  const errors: string[] = [];
  let ada: WebUser;
  let bob: VollyClient;
  let communityId = "";
  let inviteLink = "";
  /** carol's page: a web member without permissions (joined by opening the invite's address). */
  let carol: Page;

  const channelItem = (page: Page, name: string) =>
    page.locator(`[data-testid=channel-item][data-name="${name}"]`);
  const memberItem = (page: Page, handle: string) =>
    page.locator(`[data-testid=member-item][data-handle="${handle}"]`);

  /** What inside `dialog` reaches past its right edge (a narrow screen's sideways scroll): none. */
  const pastRightEdge = (dialog: Locator) =>
    dialog.evaluate((el) => {
      const right = el.getBoundingClientRect().right;
      return [...el.querySelectorAll("*")]
        .filter((child) => child.getBoundingClientRect().right > right + 0.5)
        .map((child) => `${child.tagName.toLowerCase()}.${child.className}`);
    });

  /** Opens an action of the community header's menu. */
  async function communityAction(page: Page, testid: string): Promise<void> {
    await page.getByTestId("community-menu").click();
    await page.getByTestId(testid).click();
  }

  /** Opens a channel and waits for its chat. */
  async function openChannel(page: Page, name: string): Promise<void> {
    await channelItem(page, name).click();
    await expect
      .poll(() => page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
      .toBe(`#${name}`);
  }

  /** The id of one of bob's channels by name, once bob sees it. */
  async function bobsChannel(name: string): Promise<string | undefined> {
    const community = await bob.communities.get(communityId);
    return community.channels.find((c) => c.name === name)?.channelId;
  }

  beforeAll(async () => {
    expect(existsSync(WEB_INDEX), "packages/web/dist is missing: run `npm run build`").toBe(true);
    server = await startServerProcess();
    browser = await launchChromium();
    bob = await initNodeProfile(
      join(tempDir(), "bob"),
      {
        serverUrl: server.url,
        handle: "bob.node",
        displayName: "Bob Node",
        pin: "123456",
        kdf: { memoryKiB: 1024, iterations: 1 },
      },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    await bob.connect();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB" });
    const page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(server.url);
    await page.getByLabel("Your name").waitFor();
    ada = { context, page, name: "Ada Lovelace", handle: "", pin: "246810" };
    ada.handle = await onboard(page, ada.name, ada.pin);
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail" || !ada || ada.page.isClosed()) return;
    const path = join(tmpdir(), "volly-e2e-communities-failure.png");
    await ada.page.screenshot({ path }).catch(() => undefined);
    console.error(`${ctx.task.name}: ada's screen is in ${path}`);
  });

  afterAll(async () => {
    await bob?.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("creates a community from the rail: it opens on #general", async () => {
    const { page } = ada;
    await page.getByRole("button", { name: "Create a community" }).click();
    await page.getByLabel("Community name").fill(COMMUNITY);
    await page.getByTestId("create-community").click();
    await expect
      .poll(() => page.getByTestId("community-name").textContent(), { timeout: 30_000 })
      .toBe(COMMUNITY);
    await page.locator(`[data-testid=rail-community][data-name="${COMMUNITY}"]`).waitFor();
    await expect
      .poll(() => page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
      .toBe("#general");
    expect(await page.getByTestId("rail-community").getAttribute("aria-current")).toBe("page");
  });

  it("creates a private channel from the community menu", async () => {
    const { page } = ada;
    await communityAction(page, "open-create-channel");
    await page.getByLabel("Channel name").fill("Secret Plans");
    await page.getByLabel(/Private channel/).check();
    await page.getByTestId("create-channel").click();
    await channelItem(page, "secret-plans").waitFor();
    expect(await channelItem(page, "secret-plans").textContent()).toContain("(private)");
    await expect
      .poll(() => page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
      .toBe("#secret-plans");
    // a category, and a channel in it: the list groups it under the category's heading
    await communityAction(page, "open-create-channel");
    await page.getByTestId("channel-kind-category").check();
    await page.getByLabel("Category name").fill("Projects");
    await page.getByRole("button", { name: "Create category" }).click();
    await page.getByRole("heading", { name: "Projects" }).waitFor();
    await communityAction(page, "open-create-channel");
    await page.getByLabel("Channel name").fill("robots");
    await page.getByLabel("In category").selectOption({ label: "Projects" });
    await page.getByTestId("create-channel").click();
    await channelItem(page, "robots").waitFor();
    const projects = page.getByRole("region", { name: "Projects" });
    expect(await projects.getByTestId("channel-item").getAttribute("data-name")).toBe("robots");
    await openChannel(page, "general");
  });

  it("invites by link (expiry, max uses); the Node peer joins and shows in the member list", async () => {
    const { page } = ada;
    await communityAction(page, "open-community-invite");
    await page.getByLabel("Expire after").selectOption({ label: "1 day" });
    await page.getByLabel(/Max uses/).fill("5");
    await page.getByTestId("create-community-invite").click();
    const input = page.getByTestId("community-invite-link");
    await input.waitFor();
    const link = await input.inputValue();
    expect(link).toMatch(new RegExp(`^${server.url.replace(/[.]/g, "\\.")}/c/[A-Za-z0-9_-]{16,32}$`));
    expect(await page.getByTestId("community-invite-dialog").textContent()).toContain("5 uses");
    await closeDialog(page);

    inviteLink = link;
    const joined = await bob.communities.join(link);
    communityId = joined.communityId;
    expect(joined.name).toBe(COMMUNITY);
    // everything but the private channel
    expect(joined.channels.map((c) => c.name).sort()).toEqual(["Projects", "general", "robots"]);
    await memberItem(page, "bob.node").waitFor({ timeout: 30_000 });
    // said before the next member joins: #general's policy (the last 30 days) gives it to them
    await sendMessage(page, "Said before carol joined");
    const general = await bob.communities.conversationOf((await bobsChannel("general")) as string);
    const said = (m: MessageRecord) => m.body.type === "text" && m.body.text === "Said before carol joined";
    await waitFor(async () => (await bob.messaging.history(general)).some(said), {
      message: "bob to receive ada's message",
      timeoutMs: 30_000,
    });
  });

  it("opening the invite's web address in the app offers to join; a new web user joins that way", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB" });
    const page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(inviteLink);
    await page.getByLabel("Your name").waitFor();
    await onboard(page, "Carol Web", "135790");
    const dialog = page.getByTestId("join-community-dialog");
    await dialog.waitFor();
    expect(await dialog.getByLabel("Invite link").inputValue()).toBe(inviteLink);
    await expect.poll(() => dialog.getByTestId("join-community").textContent()).toBe(`Join ${COMMUNITY}`);
    await dialog.getByTestId("join-community").click();
    await expect
      .poll(() => page.getByTestId("community-name").textContent(), { timeout: 30_000 })
      .toBe(COMMUNITY);
    await expect
      .poll(() => page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
      .toBe("#general");
    // #general's history was shared with her by ada's device, and the timeline says so
    await expect
      .poll(() => page.getByTestId("history-start").textContent(), { timeout: 30_000 })
      .toMatch(/History from .+, shared by Ada Lovelace when you joined\./);
    const shared = messageWithText(page, "Said before carol joined");
    await shared.waitFor({ timeout: 30_000 });
    expect(await shared.getByTestId("shared-by").textContent()).toBe("shared by Ada Lovelace");
    await screenshot(page, "community-history");
    // a member without permissions sees no moderation and only the actions @everyone has
    await page.getByTestId("community-menu").click();
    expect(await page.getByTestId("open-community-invite").count()).toBe(1);
    expect(await page.getByTestId("open-create-channel").count()).toBe(0);
    expect(await page.getByTestId("open-community-settings").count()).toBe(0);
    await memberItem(page, "bob.node").click();
    await page.getByTestId("member-dialog").waitFor();
    expect(await page.getByTestId("member-moderation").count()).toBe(0);
    await closeDialog(page);
    carol = page;
  });

  it("messages flow both ways in #general", async () => {
    const { page } = ada;
    await sendMessage(page, "Hello from the web");
    const generalId = (await bobsChannel("general")) as string;
    const conversationId = await bob.communities.conversationOf(generalId);
    await waitFor(
      async () =>
        (await bob.messaging.history(conversationId)).some(
          (m) => m.body.type === "text" && m.body.text === "Hello from the web",
        ),
      { message: "bob to receive ada's message", timeoutMs: 30_000 },
    );
    await bob.messaging.send(conversationId, "Hi from Node");
    await messageWithText(page, "Hi from Node").waitFor({ timeout: 30_000 });
  });

  it("settings, Channels: a member overwrite denying Send Messages in #general; the server refuses the peer's send", async () => {
    const { page } = ada;
    await communityAction(page, "open-community-settings");
    const dialog = page.getByTestId("community-settings-dialog");
    await dialog.getByRole("tab", { name: "Channels" }).click();
    await dialog.getByRole("button", { name: "Permissions of #general" }).click();
    const permissions = dialog.getByTestId("channel-permissions");
    await permissions.getByLabel("Role or member").selectOption({ label: "@bob.node" });
    const editor = permissions.getByTestId("overwrite-editor");
    await editor.getByRole("radiogroup", { name: "Send Messages" }).getByLabel("Deny").check();
    await editor.getByTestId("save-overwrite").click();
    await editor.getByText("Saved the overwrite for @bob.node.").waitFor({ timeout: 30_000 });
    // the overwrite is listed with the channel's others, and the tab stays accessible
    await permissions.getByRole("button", { name: "@bob.node" }).waitFor();
    await expectAccessible(page, "community settings (channel permissions)");
    await screenshot(page, "community-channel-permissions");
    await page.setViewportSize({ width: 320, height: 640 });
    expect(await pastRightEdge(dialog)).toEqual([]);
    await screenshot(page, "community-channel-permissions-320");
    await page.setViewportSize({ width: 1280, height: 800 });
    const generalId = (await bobsChannel("general")) as string;
    await waitFor(
      async () =>
        (await bob.communities.get(communityId)).channels
          .find((c) => c.channelId === generalId)
          ?.overwrites.some((o) => o.type === "member") === true,
      { message: "bob to see his overwrite", timeoutMs: 30_000 },
    );
    const general = await bob.communities.conversationOf(generalId);
    await expect(bob.messaging.send(general, "Not allowed here")).rejects.toMatchObject({
      code: "VOLLY_E_FORBIDDEN",
    });
    // every permission back to inherit: the overwrite goes, and bob may send again
    await editor.getByTestId("remove-overwrite").click();
    await editor.getByText("Removed the overwrite for @bob.node.").waitFor({ timeout: 30_000 });
    await waitFor(
      async () =>
        (await bob.communities.get(communityId)).channels.find((c) => c.channelId === generalId)?.overwrites
          .length === 0,
      { message: "bob's overwrite gone", timeoutMs: 30_000 },
    );
    await closeDialog(page);
    await bob.messaging.send(general, "Allowed again");
    await messageWithText(page, "Allowed again").waitFor({ timeout: 30_000 });
  });

  it("settings: a role that sees the private channel, assigned from the member card; the peer then sees the channel", async () => {
    const { page } = ada;
    await communityAction(page, "open-community-settings");
    const dialog = page.getByTestId("community-settings-dialog");
    await dialog.getByRole("tab", { name: "Roles" }).click();
    await dialog.getByLabel("New role").fill("Crew");
    await dialog.getByTestId("create-role").click();
    await dialog.getByTestId("role-editor").waitFor();
    await dialog.getByLabel("Role name").fill("Crew");
    await dialog.getByLabel("Manage Messages").check();
    await dialog.getByTestId("save-role").click();
    await expect.poll(() => dialog.getByText("Saved.").count()).toBe(1);
    const access = dialog.locator('[data-channel="secret-plans"]');
    await access.check();
    await expect.poll(() => access.isChecked()).toBe(true);
    await expect.poll(() => access.isDisabled()).toBe(false);
    await expectAccessible(page, "community settings (roles)");
    await screenshot(page, "community-settings");
    await dialog.getByRole("tab", { name: "Audit log" }).click();
    await dialog.getByTestId("audit-log").waitFor();
    expect(await dialog.getByTestId("audit-log").textContent()).toContain(
      "Ada Lovelace created the role Crew",
    );
    await closeDialog(page);

    await memberItem(page, "bob.node").click();
    const card = page.getByTestId("member-dialog");
    await card.getByRole("checkbox", { name: "Crew" }).check();
    await expect.poll(() => card.getByTestId("member-roles").textContent()).toContain("Crew");
    await closeDialog(page);
    // bob's highest role is now Crew: the member list shows him under it
    await expect.poll(() => page.getByTestId("member-list").textContent()).toContain("Crew — 1");

    await waitFor(async () => (await bobsChannel("secret-plans")) !== undefined, {
      message: "bob to see #secret-plans",
      timeoutMs: 30_000,
    });
    const secret = await bob.communities.conversationOf((await bobsChannel("secret-plans")) as string);
    await bob.messaging.send(secret, "Found the secret room");
    await openChannel(page, "secret-plans");
    await messageWithText(page, "Found the secret room").waitFor({ timeout: 30_000 });
    await openChannel(page, "general");
  });

  it("the community view is accessible, at desktop width and at 320 px", async () => {
    const { page } = ada;
    await expectAccessible(page, "community");
    await screenshot(page, "community-desktop");
    // the member list is a toggle
    await page.getByTestId("toggle-members").click();
    await page.getByTestId("member-list").waitFor({ state: "detached" });
    expect(await page.getByTestId("toggle-members").getAttribute("aria-pressed")).toBe("false");
    await page.getByTestId("toggle-members").click();
    await page.getByTestId("member-list").waitFor();
    // the app's settings are at hand in a community too; the view stays accessible in the dark theme
    await page.getByTestId("open-settings").click();
    await page.getByTestId("theme-dark").check({ force: true });
    await closeDialog(page);
    await animationsSettled(page);
    await expectAccessible(page, "community (dark)");
    await screenshot(page, "community-dark");
    await page.getByTestId("open-settings").click();
    await page.getByTestId("theme-light").check({ force: true });
    await closeDialog(page);
    await page.setViewportSize({ width: 320, height: 640 });
    await page.getByRole("button", { name: "Back to channels" }).click();
    await channelItem(page, "general").waitFor();
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth);
    expect(await overflow()).toBeLessThanOrEqual(320);
    await expectAccessible(page, "community channels (320 px)");
    await screenshot(page, "community-320-channels");
    await openChannel(page, "general");
    expect(await overflow()).toBeLessThanOrEqual(320);
    await screenshot(page, "community-320-chat");
    await page.getByTestId("toggle-members").click();
    await memberItem(page, "bob.node").waitFor();
    await expectAccessible(page, "community members (320 px)");
    await screenshot(page, "community-320-members");
    await page.getByRole("button", { name: "Back to the chat" }).click();
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("times the peer out from the member card: his sends are refused", async () => {
    const { page } = ada;
    await memberItem(page, "bob.node").click({ button: "right" });
    const card = page.getByTestId("member-dialog");
    await card.getByLabel("Timeout duration").selectOption({ label: "10 minutes" });
    await card.getByLabel(/Reason/).fill("cool down");
    await card.getByTestId("timeout-member").click();
    await card.getByTestId("member-timed-out").waitFor({ timeout: 30_000 });
    await expectAccessible(page, "member card");
    await screenshot(page, "community-member-card");
    await closeDialog(page);
    await waitFor(
      async () => {
        const me = (await bob.communities.get(communityId)).members.find((m) => m.handle === "bob.node");
        return (me?.timedOutUntil ?? 0) > Date.now();
      },
      { message: "bob's timeout", timeoutMs: 30_000 },
    );
    const general = await bob.communities.conversationOf((await bobsChannel("general")) as string);
    await expect(bob.messaging.send(general, "Can I still talk?")).rejects.toMatchObject({
      code: "VOLLY_E_FORBIDDEN",
    });
  });

  it("settings, Members: lists every member with roles and timeout; ends the peer's timeout from there", async () => {
    const { page } = ada;
    await communityAction(page, "open-community-settings");
    const dialog = page.getByTestId("community-settings-dialog");
    await dialog.getByRole("tab", { name: "Members" }).click();
    const list = dialog.getByTestId("settings-member-list");
    await list.waitFor();
    const rows = list.getByTestId("settings-member");
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-handle")))).toEqual([
      ada.handle,
      "bob.node",
      "carol.web",
    ]);
    const bobRow = list.locator('[data-testid=settings-member][data-handle="bob.node"]');
    expect(await bobRow.getByRole("list", { name: "Roles of Bob Node" }).textContent()).toContain("Crew");
    expect(await bobRow.textContent()).toContain("Timed out until");
    expect(await list.locator(`[data-handle="${ada.handle}"]`).textContent()).toContain("Owner");
    // the filter matches names, handles and roles
    await dialog.getByLabel("Filter members").fill("crew");
    await expect.poll(() => rows.count()).toBe(1);
    await dialog.getByText("1 of 3 members").waitFor();
    await dialog.getByLabel("Filter members").fill("");
    await expect.poll(() => rows.count()).toBe(3);
    await bobRow.getByRole("button", { name: "Manage Bob Node" }).click();
    await bobRow.getByTestId("member-moderation").waitFor();
    await expectAccessible(page, "community settings (members)");
    await screenshot(page, "community-members");
    // at 320 px the tab fits without scrolling sideways
    await page.setViewportSize({ width: 320, height: 640 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    expect(await pastRightEdge(dialog)).toEqual([]);
    await expectAccessible(page, "community settings (members, 320 px)");
    await screenshot(page, "community-members-320");
    await page.setViewportSize({ width: 1280, height: 800 });
    await bobRow.getByTestId("end-timeout").click();
    await expect.poll(() => bobRow.textContent(), { timeout: 30_000 }).not.toContain("Timed out until");
    await closeDialog(page);
    await waitFor(
      async () => {
        const me = (await bob.communities.get(communityId)).members.find((m) => m.handle === "bob.node");
        return (me?.timedOutUntil ?? 0) <= Date.now();
      },
      { message: "bob's timeout to end", timeoutMs: 30_000 },
    );
  });

  it("kicks the peer from the member card: he leaves the list and the community", async () => {
    const { page } = ada;
    await memberItem(page, "bob.node").click();
    await page.getByTestId("member-dialog").getByTestId("kick-member").click();
    await page.getByTestId("confirm-moderation").getByRole("button", { name: "Kick" }).click();
    await memberItem(page, "bob.node").waitFor({ state: "detached", timeout: 30_000 });
    await waitFor(async () => !(await bob.communities.list()).some((c) => c.communityId === communityId), {
      message: "bob out of the community",
      timeoutMs: 30_000,
    });
  });

  it("a kicked web member is taken back to the direct messages and told why", async () => {
    const { page } = ada;
    await memberItem(page, "carol.web").click();
    await page.getByTestId("member-dialog").getByTestId("kick-member").click();
    await page.getByTestId("confirm-moderation").getByRole("button", { name: "Kick" }).click();
    await memberItem(page, "carol.web").waitFor({ state: "detached", timeout: 30_000 });
    const notice = carol.getByRole("status").filter({ hasText: "no longer available" });
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.textContent()).toContain(COMMUNITY);
    // the rail follows the community list, read again after the notice: wait for it
    await expect.poll(() => carol.getByTestId("rail-community").count(), { timeout: 30_000 }).toBe(0);
    expect(await carol.getByTestId("rail-direct").getAttribute("aria-current")).toBe("page");
    await carol.context().close();
  });

  it("bans the peer (who came back by the link) with a reason; the Bans tab lists him and unbans him", async () => {
    const { page } = ada;
    await bob.communities.join(inviteLink);
    await memberItem(page, "bob.node").click({ timeout: 30_000 });
    const card = page.getByTestId("member-dialog");
    await card.getByLabel(/Reason/).fill("spam");
    await card.getByTestId("ban-member").click();
    await page.getByTestId("confirm-moderation").getByRole("button", { name: "Ban" }).click();
    await memberItem(page, "bob.node").waitFor({ state: "detached", timeout: 30_000 });
    await expect(bob.communities.join(inviteLink)).rejects.toMatchObject({ code: "VOLLY_E_BANNED" });

    await communityAction(page, "open-community-settings");
    const dialog = page.getByTestId("community-settings-dialog");
    await dialog.getByRole("tab", { name: "Invites" }).click();
    await dialog.getByTestId("invite-list").waitFor();
    expect(await dialog.getByTestId("invite-list").textContent()).toContain("at most 5 uses");
    await dialog.getByRole("tab", { name: "Bans" }).click();
    const bans = dialog.getByTestId("ban-list");
    await bans.waitFor();
    expect(await bans.textContent()).toContain("@bob.node");
    expect(await bans.textContent()).toContain("spam");
    await dialog.getByRole("button", { name: "Unban @bob.node" }).click();
    await dialog.getByText("No one is banned.").waitFor();
    await closeDialog(page);
    const back = await bob.communities.join(inviteLink);
    expect(back.communityId).toBe(communityId);
  });

  it("keyboard: the rail, the community menu and a channel are reached with Tab; Escape closes the menu", async () => {
    const { page } = ada;
    await page.locator(`[data-testid=rail-community][data-name="${COMMUNITY}"]`).focus();
    await tabTo(page, page.getByTestId("community-menu"));
    await page.keyboard.press("Enter");
    await page.getByTestId("open-community-invite").waitFor();
    await page.keyboard.press("Escape");
    await page.getByTestId("open-community-invite").waitFor({ state: "detached" });
    expect(await page.getByTestId("community-menu").evaluate((el) => el === document.activeElement)).toBe(
      true,
    );
    await tabTo(page, channelItem(page, "secret-plans"));
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByTestId("chat-title").textContent()).toBe("#secret-plans");
  });

  it("settings, Channels: renaming a channel renames it in the list and in the open chat", async () => {
    const { page } = ada;
    await communityAction(page, "open-community-settings");
    const dialog = page.getByTestId("community-settings-dialog");
    await dialog.getByRole("tab", { name: "Channels" }).click();
    await dialog.getByRole("button", { name: "Edit #secret-plans" }).click();
    await dialog.getByTestId("edit-channel-name").fill("War Room");
    await dialog.getByTestId("save-channel").click();
    await dialog.getByRole("button", { name: "Edit #war-room" }).waitFor();
    await closeDialog(page);
    await channelItem(page, "war-room").waitFor();
    await expect
      .poll(() => page.getByTestId("chat-title").textContent(), { timeout: 30_000 })
      .toBe("#war-room");
    // bob came back after his ban without the Crew role: the private channel stays hidden from him
    expect(await bobsChannel("war-room")).toBeUndefined();
  });

  it("settings, Channels: moves a channel up and into a category, and sets a channel's history; the sidebar follows", async () => {
    const { page } = ada;
    const sidebarOrder = () =>
      page.getByTestId("channel-item").evaluateAll((els) => els.map((e) => e.getAttribute("data-name")));
    expect(await sidebarOrder()).toEqual(["general", "war-room", "robots"]);
    await communityAction(page, "open-community-settings");
    const dialog = page.getByTestId("community-settings-dialog");
    await dialog.getByRole("tab", { name: "Channels" }).click();
    // by keyboard: the move buttons are named after their channel, and keep the focus
    await dialog.getByRole("button", { name: "Move #war-room up" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(sidebarOrder, { timeout: 30_000 }).toEqual(["war-room", "general", "robots"]);
    await expect
      .poll(() => dialog.getByTestId("channel-move-status").textContent())
      .toBe("Moved #war-room up.");
    expect(await dialog.getByRole("button", { name: "Move #war-room up" }).isDisabled()).toBe(true);
    await expect
      .poll(() =>
        dialog
          .getByRole("button", { name: "Move #war-room down" })
          .evaluate((el) => el === document.activeElement),
      )
      .toBe(true);
    // #general into Projects, after #robots
    await dialog.getByRole("button", { name: "Edit #general" }).click();
    await dialog.getByLabel("Category", { exact: true }).selectOption({ label: "Projects" });
    await dialog.getByTestId("save-channel").click();
    await expect.poll(sidebarOrder, { timeout: 30_000 }).toEqual(["war-room", "robots", "general"]);
    const projects = page.getByRole("region", { name: "Projects" });
    await expect
      .poll(() =>
        projects
          .getByTestId("channel-item")
          .evaluateAll((els) => els.map((e) => e.getAttribute("data-name"))),
      )
      .toEqual(["robots", "general"]);
    await dialog.getByRole("button", { name: "Move #general up" }).click();
    await expect.poll(sidebarOrder, { timeout: 30_000 }).toEqual(["war-room", "general", "robots"]);
    // #robots shares the last 7 days with newcomers, #general nothing
    await dialog.getByRole("button", { name: "Edit #robots" }).click();
    await dialog.getByLabel("History for new members").selectOption("days");
    await dialog.getByLabel("Days", { exact: true }).fill("7");
    await expectAccessible(page, "community settings (channels)");
    await screenshot(page, "community-settings-channels");
    await dialog.getByTestId("save-channel").click();
    await dialog.getByRole("button", { name: "Edit #general" }).click();
    await dialog.getByLabel("History for new members").selectOption("none");
    await dialog.getByTestId("save-channel").click();
    await dialog.getByRole("button", { name: "Edit #general" }).waitFor();
    await closeDialog(page);
    await waitFor(
      async () => {
        const channels = (await bob.communities.get(communityId)).channels;
        const policy = (name: string) => JSON.stringify(channels.find((c) => c.name === name)?.historyPolicy);
        return policy("robots") === '{"kind":"days","days":7}' && policy("general") === '{"kind":"none"}';
      },
      { message: "bob to see the channels' history settings", timeoutMs: 30_000 },
    );
  });

  it("the owner deletes the community from settings: it leaves the rail", async () => {
    const { page } = ada;
    await communityAction(page, "open-community-settings");
    await page.getByRole("tab", { name: "Overview" }).click();
    await page.getByTestId("delete-community").click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete" }).click();
    await page
      .locator(`[data-testid=rail-community][data-name="${COMMUNITY}"]`)
      .waitFor({ state: "detached" });
    expect(await page.getByTestId("rail-direct").getAttribute("aria-current")).toBe("page");
    await waitFor(async () => (await bob.communities.list()).length === 0, { message: "bob's list empty" });
  });

  it("the owner transfers a community to the Node peer: afterwards she sees only what her roles allow", async () => {
    const { page } = ada;
    await page.getByRole("button", { name: "Create a community" }).click();
    await page.getByLabel("Community name").fill("Handover");
    await page.getByTestId("create-community").click();
    await expect
      .poll(() => page.getByTestId("community-name").textContent(), { timeout: 30_000 })
      .toBe("Handover");
    await communityAction(page, "open-community-invite");
    await page.getByTestId("create-community-invite").click();
    await page.getByTestId("community-invite-link").waitFor();
    const link = await page.getByTestId("community-invite-link").inputValue();
    await closeDialog(page);
    const joined = await bob.communities.join(link);
    await memberItem(page, "bob.node").waitFor({ timeout: 30_000 });

    await communityAction(page, "open-community-settings");
    const dialog = page.getByTestId("community-settings-dialog");
    await dialog.getByLabel("New owner").selectOption({ label: "Bob Node (@bob.node)" });
    await dialog.getByTestId("transfer-ownership").click();
    const confirm = page.getByTestId("confirm-transfer");
    expect(await confirm.textContent()).toContain("You stop being the owner");
    await expectAccessible(page, "transfer ownership");
    await confirm.getByRole("button", { name: "Transfer ownership" }).click();
    await dialog.getByText("Your roles no longer let you change this community's settings.").waitFor({
      timeout: 30_000,
    });
    expect(await dialog.getByRole("tab").count()).toBe(0);
    await closeDialog(page);
    expect((await bob.communities.get(joined.communityId)).ownerAccountId).toBe(
      (await bob.communities.get(joined.communityId)).members.find((m) => m.handle === "bob.node")?.accountId,
    );
    // the menu no longer offers settings; the member card no longer offers moderation
    await page.getByTestId("community-menu").click();
    await page.getByTestId("open-community-invite").waitFor();
    expect(await page.getByTestId("open-community-settings").count()).toBe(0);
    await page.keyboard.press("Escape");
    await memberItem(page, "bob.node").click();
    await page.getByTestId("member-dialog").waitFor();
    expect(await page.getByTestId("member-moderation").count()).toBe(0);
    await closeDialog(page);
  });

  it("no page errors", () => {
    expect(errors).toEqual([]);
  });
});
