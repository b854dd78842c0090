/**
 * community-join: how long a newcomer waits before they can read a 50-channel community. A real
 * `volly serve` (embedded), real SDK devices (Node, durable SQLite profiles): the owner creates the
 * community and 49 more text channels (their MLS groups are created by the owner's device), a few
 * members join and each channel carries some members; then a newcomer opens the invite link. The
 * newcomer's device joins every channel's group by its own external commits (no admin device does
 * 50 commits for it). Measured: from `communities.join(link)` until it returns with every channel
 * joined, and until a message sent afterwards in the last channel is received.
 *
 *   node bench/workloads/community-join.mjs [--channels 50] [--members 5] [--quick]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initNodeProfile } from "@volly/client/node";
import { numberFlag, runAsMain } from "../lib/main.mjs";
import { startVolly } from "../lib/server.mjs";

export const description =
  "A newcomer joins a community of N text channels (default 50) by invite link, with a real " +
  "embedded `volly serve` and SDK devices in this process (Node, SQLite profiles): joinMs runs from " +
  "`communities.join(link)` to its return, when the newcomer's device has joined every channel's MLS " +
  "group by external commit (RFC 9420 §12.4.3.2) — its own commits, no admin device online for it; " +
  "readableMs adds the owner's device processing the newcomer's join in the last channel, sending " +
  "there and the newcomer receiving it. Each " +
  "channel already has the owner and `members` other members (one device each).";

export const units = { joinMs: "ms", perChannelMs: "ms", readableMs: "ms", setupS: "s" };

export const defaultRuns = 1;

const KDF = { memoryKiB: 1024, iterations: 1 };
const round = (v) => Math.round(v * 100) / 100;

async function run(flags) {
  const quick = flags.quick === "true";
  const channels = numberFlag(flags, "channels", quick ? 10 : 50);
  const memberCount = numberFlag(flags, "members", quick ? 2 : 5);
  const server = await startVolly();
  const home = mkdtempSync(join(tmpdir(), "volly-community-join-"));
  const clients = [];
  const device = async (handle) => {
    const client = await initNodeProfile(join(home, handle), {
      serverUrl: server.url,
      handle,
      pin: "123456",
      kdf: KDF,
    });
    await client.connect();
    clients.push(client);
    return client;
  };
  try {
    const t0 = performance.now();
    const suffix = Math.random().toString(36).slice(2, 8);
    const owner = await device(`owner${suffix}`);
    const created = await owner.communities.create("Bench guild");
    const { communityId } = created;
    for (let i = 1; i < channels; i++)
      await owner.communities.createChannel(communityId, { name: `channel-${i}` });
    await owner.communities.reconcile(communityId); // the owner's device creates every channel's group
    const link = (await owner.communities.createInvite(communityId)).link;
    for (let i = 0; i < memberCount; i++) {
      const member = await device(`member${i}${suffix}`);
      await member.communities.join(link);
    }
    const setupS = (performance.now() - t0) / 1000;

    const newcomer = await device(`newcomer${suffix}`);
    const tJoin = performance.now();
    const joined = await newcomer.communities.join(link);
    const joinMs = performance.now() - tJoin;
    const last = joined.channels.filter((c) => c.type === "text").at(-1);
    const ownerConv = await owner.communities.conversationOf(last.channelId);
    const newcomerConv = await newcomer.communities.conversationOf(last.channelId);
    const received = new Promise((resolve) => {
      const stop = newcomer.messaging.received.add((m) => {
        if (m.conversationId === newcomerConv && m.direction === "in" && m.body?.type === "text") {
          stop();
          resolve();
        }
      });
    });
    // The owner's device learns of the join from the log (the newcomer's external commit); a message
    // it encrypted before processing that commit belongs to an epoch the newcomer never had. So the
    // owner says something every 100 ms until the newcomer reads one.
    let readable = false;
    received.then(() => {
      readable = true;
    });
    while (!readable) {
      await owner.messaging.send(ownerConv, "can you read this?");
      await Promise.race([received, new Promise((r) => setTimeout(r, 100))]);
    }
    await received;
    const readableMs = performance.now() - tJoin;
    console.error(
      `community-join: ${channels} channels, ${memberCount} members: join ${joinMs.toFixed(0)} ms, readable ${readableMs.toFixed(0)} ms (setup ${setupS.toFixed(1)} s)`,
    );
    return {
      scenarios: {
        [`${channels} channels`]: {
          joinMs: round(joinMs),
          perChannelMs: round(joinMs / channels),
          readableMs: round(readableMs),
          setupS: round(setupS),
        },
      },
      notes: [
        "One run; the newcomer's device joins the channels one after another. setupS (profiles, " +
          "channels, the owner's group creations and the members' joins) is not part of the figures.",
      ],
    };
  } finally {
    for (const client of clients) await client.close().catch(() => {});
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

runAsMain(import.meta.url, run);
