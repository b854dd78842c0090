import { join } from "node:path";
import { startBot } from "@volly/bot";
import { messageText, type VollyClient } from "@volly/client";
import {
  openNodeClientWithApiKey,
  resealNodeProfileWithApiKey,
  sealNodeProfileWithApiKey,
} from "@volly/client/node";
import { HttpApi } from "@volly/client/testing";
import { sign } from "@volly/crypto";
import { fromBase64Url, VollyError } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { collect, newClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

const BACKOFF = { initialBackoffMs: 50, maxBackoffMs: 500 };

/** The code a promise rejects with (or "ok"). */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (err) {
    if (err instanceof VollyError) return err.code;
    throw err;
  }
}

/**
 * A bot on an API key against a real `volly serve`: the key is rotated while it runs, it restarts on
 * the new key, and no message is missed; the old key works during the overlap and is refused after.
 */
describe("an API key is rotated without a missed message", () => {
  let server: ServerProcess;
  const home = tempDir("volly-apikey-rotation-");
  const botDir = join(home, "rotbot");
  beforeAll(async () => {
    server = await startServerProcess();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("runs on key A, rotates to B, restarts on B; A is refused once the overlap ends", async () => {
    const ann = await newClient(home, server.url, "ann");
    const setup = await newClient(home, server.url, "rotbot");
    const profile = setup.profile;
    const a = await setup.apiKeys.create({ name: "rotbot", scopes: ["send", "read", "manage"] });
    const reader = await setup.apiKeys.create({ name: "reader", scopes: ["read"] });
    await setup.close();
    await sealNodeProfileWithApiKey(botDir, "123456", a.key, { removePin: true });

    /** A bare REST client of the bot's device presenting `apiKey`. */
    const restWith = (apiKey: string) =>
      new HttpApi(server.url, {
        deviceId: profile.deviceId,
        sign: (m) => sign(fromBase64Url(profile.signaturePrivateKey), m),
        apiKey,
      });

    let bot: VollyClient = await openNodeClientWithApiKey(botDir, a.key, BACKOFF);
    await bot.connect();
    let inbox = collect(bot);
    const conv = await ann.invites.accept(bot.invites.create().link);
    const texts: string[] = [];
    const seen: string[] = [];
    const sendFromAnn = async (text: string) => {
      texts.push(text);
      await ann.messaging.send(conv.id, text);
    };
    const drain = () => {
      for (const m of inbox.splice(0)) seen.push(messageText(m) ?? "");
    };

    await sendFromAnn("m1 on A");
    await sendFromAnn("m2 on A");
    await waitFor(() => inbox.length === 2, { message: "the bot to get m1, m2", timeoutMs: 30_000 });
    drain();

    // A read-only key cannot send: 403 with a typed error, before the body is even looked at.
    const denied = await outcome(
      restWith(reader.key).call("sendMessage", {
        params: { groupId: conv.id },
        body: { messageId: "x", epoch: 0, ciphertext: "" } as never,
      }),
    );
    expect(denied).toBe("VOLLY_E_API_KEY_SCOPE");

    // Rotate while running on A: the running bot keeps receiving during the overlap.
    const overlapMs = 15_000;
    const b = await bot.apiKeys.rotate(a.info.id, overlapMs);
    const rotatedAt = Date.now();
    await sendFromAnn("m3 during the overlap, bot on A");
    await waitFor(() => inbox.length === 1, { message: "the bot on A to get m3", timeoutMs: 30_000 });
    drain();

    // Restart on B: the profile is re-sealed; a message sent while the bot is down arrives after.
    await bot.close();
    await resealNodeProfileWithApiKey(botDir, a.key, b.key);
    await sendFromAnn("m4 while the bot restarts");
    expect(await outcome(restWith(a.key).authenticate()), "A still works in the overlap").toBe("ok");
    bot = await openNodeClientWithApiKey(botDir, b.key, BACKOFF);
    inbox = collect(bot);
    await bot.connect();
    await sendFromAnn("m5 on B");
    await waitFor(() => inbox.length === 2, { message: "the bot on B to get m4, m5", timeoutMs: 30_000 });
    drain();
    await bot.messaging.send(conv.id, "bot reply on B");

    // Once the overlap ended, A is refused; B goes on.
    await waitFor(async () => (await outcome(restWith(a.key).authenticate())) === "VOLLY_E_API_KEY_EXPIRED", {
      message: "A to be refused after the overlap",
      timeoutMs: overlapMs + 20_000,
      intervalMs: 500,
    });
    expect(Date.now() - rotatedAt).toBeGreaterThanOrEqual(overlapMs - 1_000);
    await sendFromAnn("m6 after the overlap");
    await waitFor(() => inbox.length === 1, { message: "the bot on B to get m6", timeoutMs: 30_000 });
    drain();
    expect(seen).toEqual(texts);
    await Promise.all([bot.close(), ann.close()]);
  });

  it("a @volly/bot opens its key-sealed profile with `apiKey` (no PIN) and answers", async () => {
    const ann = await newClient(home, server.url, "ann2");
    await ann.connect();
    const setup = await newClient(home, server.url, "keybot");
    const key = await setup.apiKeys.create({ name: "keybot", scopes: ["send", "read", "manage"] });
    await setup.close();
    const dir = join(home, "keybot");
    await sealNodeProfileWithApiKey(dir, "123456", key.key, { removePin: true });
    expect(await outcome(startBot({ dir, secret: "123456" })), "the PIN no longer opens it").not.toBe("ok");
    const bot = await startBot({ dir, apiKey: key.key, log: () => {} });
    bot.onMessage((m) => m.reply(`got ${m.text}`).then(() => undefined));
    const conv = await ann.invites.accept(bot.client.invites.create().link);
    const inbox = collect(ann);
    await ann.messaging.send(conv.id, "hello key bot");
    await waitFor(() => inbox.some((m) => messageText(m) === "got hello key bot"), {
      message: "the key bot's answer",
      timeoutMs: 30_000,
    });
    await Promise.all([bot.close(), ann.close()]);
  });
});
