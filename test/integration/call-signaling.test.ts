import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ReceivedCallSignal, VollyClient } from "@volly/client";
import { restApi } from "@volly/client/testing";
import { newId } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { runVolly } from "./helpers/cli.js";
import { linkDevice, newClient, reopenClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/** Strings that must never reach the server in any readable form: in SDP and ICE candidates. */
const SDP_MARKER = "volly-sdp-marker-7f3a9c";
const ADDRESS = "203.0.113.77"; // RFC 5737 TEST-NET-3
const CANDIDATE_ADDRESS = "198.51.100.23"; // RFC 5737 TEST-NET-2
const UFRAG = "uFrAgMaRkEr42";
/** A base64url "ciphertext" posted raw: the server must relay it without keeping it anywhere. */
const RAW_CIPHERTEXT = `EPHEMERALxCIPHERTEXTxMARKER${"A".repeat(200)}`;

const offerSdp = [
  "v=0",
  `o=- 4611731400430051336 2 IN IP4 ${ADDRESS}`,
  `s=${SDP_MARKER}`,
  "t=0 0",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111",
  `c=IN IP4 ${ADDRESS}`,
  `a=ice-ufrag:${UFRAG}`,
  "a=mid:0",
  "",
].join("\r\n");

/** Records every call signal a device receives. */
function signalsOf(client: VollyClient): ReceivedCallSignal[] {
  const got: ReceivedCallSignal[] = [];
  client.calls.signaling.signals.add((s) => got.push(s));
  return got;
}

/** Every file of the server's SQLite database (main file, WAL, shared memory) that exists, as text. */
function databaseBytes(dataDir: string): string {
  return ["volly.db", "volly.db-wal", "volly.db-shm"]
    .map((name) => join(dataDir, name))
    .filter((path) => existsSync(path))
    .map((path) => readFileSync(path).toString("latin1"))
    .join("\n");
}

/** Records the ciphertext of every ephemeral relay `client` posts (its REST client, wrapped). */
function ephemeralCiphertexts(client: VollyClient): string[] {
  const api = restApi(client);
  const sent: string[] = [];
  const call = api.call.bind(api);
  api.call = ((route, options) => {
    const ciphertext = (options as { body?: { ciphertext?: unknown } } | undefined)?.body?.ciphertext;
    if (route === "sendEphemeral" && typeof ciphertext === "string") sent.push(ciphertext);
    return call(route, options);
  }) as typeof api.call;
  return sent;
}

/**
 * Call signaling as ephemeral MLS content against a real `volly serve` process (SQLite, debug
 * logging): alice calls bob, who has three devices — two online, one offline. The ring reaches both
 * online devices and never the offline one, even once it connects; SDP and ICE reach only the
 * device they are addressed to; afterwards neither the database file nor the server's output holds
 * any SDP, address, ICE fragment or relayed ciphertext. A non-member's relay is refused (403), a
 * malformed one gets a typed 400, and the stored call record shows in bob's timeline.
 */
describe("call signaling (ephemeral MLS content), on a server process", () => {
  let server: ServerProcess;
  const home = tempDir("volly-call-signaling-");
  const open: VollyClient[] = [];

  beforeAll(async () => {
    server = await startServerProcess(undefined, 0, { VOLLY_LOG_LEVEL: "debug" });
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close().catch(() => undefined)));
    if (server?.child.exitCode === null) await server.stop();
  });

  it("rings online devices only, delivers SDP/ICE to the addressed device, stores and logs none of it", async () => {
    const alice = await newClient(home, server.url, "alice");
    const bob = await newClient(home, server.url, "bob");
    const carol = await newClient(home, server.url, "carol");
    open.push(alice, bob, carol);
    await Promise.all([alice.connect(), bob.connect(), carol.connect()]);
    const bobLaptop = await linkDevice(bob, home, "bob-laptop");
    open.push(bobLaptop);
    let bobTablet = await linkDevice(bob, home, "bob-tablet");

    // The direct conversation holds every device of both accounts; wait until each reads it.
    const conv = (await alice.resolveConversation("@bob")).id;
    const bobDevices = [bob, bobLaptop, bobTablet];
    const hello = await alice.messaging.send(conv, "hello before the call");
    for (const device of bobDevices) {
      await waitFor(async () => (await device.messaging.history(conv, 50)).some((m) => m.id === hello.id), {
        timeoutMs: 60_000,
        message: "every bob device reads the conversation",
      });
    }
    // The tablet goes offline before the call.
    await bobTablet.close();

    const relays = [ephemeralCiphertexts(alice), ephemeralCiphertexts(bobLaptop)];
    const atAlice = signalsOf(alice);
    const atBob = signalsOf(bob);
    const atLaptop = signalsOf(bobLaptop);
    const callId = newId();
    const of = (got: ReceivedCallSignal[], type: string) => got.filter((s) => s.signal.type === type);

    await alice.calls.signaling.send(conv, { type: "call.ring", callId, media: "audio" });
    await waitFor(() => of(atBob, "call.ring").length === 1 && of(atLaptop, "call.ring").length === 1, {
      message: "the ring on both online devices of bob",
    });
    const ring = of(atBob, "call.ring")[0] as ReceivedCallSignal;
    expect(ring).toMatchObject({
      conversationId: conv,
      from: "alice",
      fromAccountId: alice.profile.accountId,
      fromDeviceId: alice.profile.deviceId,
      signal: { type: "call.ring", callId, media: "audio" },
    });
    expect(of(atAlice, "call.ring")).toEqual([]); // never back to the sender's own device

    // The laptop answers: alice and bob's other device (to stop ringing) hear it.
    await bobLaptop.calls.signaling.send(conv, { type: "call.accept", callId });
    await waitFor(() => of(atAlice, "call.accept").length === 1 && of(atBob, "call.accept").length === 1, {
      message: "the accept at alice and at bob's other device",
    });
    expect(of(atBob, "call.accept")[0]?.fromDeviceId).toBe(bobLaptop.profile.deviceId);

    // Offer, answer and candidates, each addressed to one device.
    await alice.calls.signaling.send(conv, {
      type: "call.sdp",
      callId,
      toDevice: bobLaptop.profile.deviceId,
      description: { type: "offer", sdp: offerSdp },
    });
    await alice.calls.signaling.send(conv, {
      type: "call.ice",
      callId,
      toDevice: bobLaptop.profile.deviceId,
      candidate: {
        candidate: `candidate:1 1 udp 2122260223 ${CANDIDATE_ADDRESS} 54321 typ host`,
        sdpMid: "0",
        sdpMLineIndex: 0,
        usernameFragment: UFRAG,
      },
    });
    await alice.calls.signaling.send(conv, {
      type: "call.ice",
      callId,
      toDevice: bobLaptop.profile.deviceId,
      candidate: null,
    });
    await bobLaptop.calls.signaling.send(conv, {
      type: "call.sdp",
      callId,
      toDevice: alice.profile.deviceId,
      description: { type: "answer", sdp: offerSdp.replace("4611731400430051336", "99") },
    });
    await waitFor(() => of(atLaptop, "call.ice").length === 2 && of(atAlice, "call.sdp").length === 1, {
      message: "the offer and candidates at the laptop, the answer at alice",
    });
    expect(of(atLaptop, "call.sdp")[0]?.signal).toMatchObject({
      description: { type: "offer", sdp: offerSdp },
    });
    expect(
      of(atLaptop, "call.ice").map((s) => (s.signal.type === "call.ice" ? s.signal.candidate : 0)),
    ).toEqual([expect.objectContaining({ usernameFragment: UFRAG }), null]);

    // A raw relay with a recognisable ciphertext (undecryptable: the devices drop it).
    const token = await restApi(alice).bearer();
    const post = (body: unknown, bearer = token) =>
      fetch(new URL(`/v1/groups/${conv}/ephemeral`, server.url), {
        method: "POST",
        headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await post({ epoch: 0, ciphertext: RAW_CIPHERTEXT })).status).toBe(202);

    // Refusals change nothing: a non-member, a malformed body, an epoch not reached, too large.
    const before = await restApi(alice).call("getGroup", { params: { groupId: conv } });
    const byCarol = await post({ epoch: 0, ciphertext: "AAAA" }, await restApi(carol).bearer());
    expect(byCarol.status).toBe(403);
    expect((await byCarol.json()).code).toBe("VOLLY_E_NOT_GROUP_MEMBER");
    const malformed = await post({ epoch: "zero", ciphertext: "not base64url!" });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).code).toBe("VOLLY_E_BAD_REQUEST");
    const extra = await post({ epoch: 0, ciphertext: "AAAA", messageId: newId() });
    expect(extra.status).toBe(400);
    const future = await post({ epoch: before.epoch + 5, ciphertext: "AAAA" });
    expect(future.status).toBe(400);
    expect((await future.json()).details?.currentEpoch).toBe(before.epoch);
    const huge = await post({ epoch: 0, ciphertext: "A".repeat(70 * 1024) });
    expect(huge.status).toBe(413);
    const unknownGroup = await fetch(new URL(`/v1/groups/${newId()}/ephemeral`, server.url), {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ epoch: 0, ciphertext: "AAAA" }),
    });
    expect(unknownGroup.status).toBe(404);
    // (Receipts may have grown the log meanwhile: membership and epoch are what a relay could touch.)
    const after = await restApi(alice).call("getGroup", { params: { groupId: conv } });
    expect([after.epoch, after.memberDeviceIds]).toEqual([before.epoch, before.memberDeviceIds]);

    // The caller hangs up and records the call: a stored message in bob's timeline.
    await alice.calls.signaling.send(conv, { type: "call.hangup", callId, reason: "ended" });
    await waitFor(() => of(atBob, "call.hangup").length === 1 && of(atLaptop, "call.hangup").length === 1, {
      message: "the hang-up on both online devices",
    });
    const record = await alice.calls.record(conv, {
      callId,
      media: "audio",
      outcome: "ended",
      durationMs: 192_000,
    });
    expect(record).toMatchObject({
      status: "sent",
      body: { type: "call", outcome: "ended", durationMs: 192_000 },
    });
    for (const device of [bob, bobLaptop]) {
      await waitFor(
        async () =>
          (await device.messaging.history(conv, 50)).some(
            (m) => m.id === record.id && m.body.type === "call" && m.direction === "in",
          ),
        { message: "the call's record in bob's timeline" },
      );
    }

    // bob's phone, not addressed, got the ring, the accept of its sibling and the hang-up only.
    expect(atBob.map((s) => s.signal.type)).toEqual(["call.ring", "call.accept", "call.hangup"]);
    expect(atLaptop.map((s) => s.signal.type)).toEqual([
      "call.ring",
      "call.sdp",
      "call.ice",
      "call.ice",
      "call.hangup",
    ]);

    // The tablet comes back: it gets the stored record, and no signal of the call.
    bobTablet = await reopenClient(home, "bob-tablet");
    open.push(bobTablet);
    const atTablet = signalsOf(bobTablet);
    await bobTablet.connect();
    await waitFor(async () => (await bobTablet.messaging.history(conv, 50)).some((m) => m.id === record.id), {
      timeoutMs: 30_000,
      message: "the call's record on the tablet",
    });
    expect(atTablet).toEqual([]);

    // `volly receive` on the tablet prints the call's record as one line.
    await Promise.all(open.map((c) => c.close().catch(() => undefined)));
    const received = await runVolly(["--profile", join(home, "bob-tablet"), "--pin", "123456", "receive"]);
    expect(received.code, received.stderr).toBe(0);
    expect(received.stdout).toMatch(/^\[\d\d:\d\d\] \[@alice\] alice: Call, 3:12$/m);

    // Nothing of the signaling is in the database or the server's output.
    await server.stop();
    const stored = databaseBytes(server.dataDir);
    const output = server.output();
    expect(output).toContain("/v1/groups/:groupId/ephemeral"); // the request log has the route pattern
    // The tail: the encrypted part (the head is the MLS header, the same for every message of the epoch).
    const ciphertexts = relays.flat().map((c) => c.slice(-48));
    expect(ciphertexts.length).toBeGreaterThan(0);
    for (const secret of [
      SDP_MARKER,
      ADDRESS,
      CANDIDATE_ADDRESS,
      UFRAG,
      RAW_CIPHERTEXT.slice(0, 40),
      ...ciphertexts,
    ]) {
      expect(stored.includes(secret), `database holds ${secret}`).toBe(false);
      expect(output.includes(secret), `server output holds ${secret}`).toBe(false);
    }
    expect(output).not.toContain("a=ice-ufrag");
    expect(output).not.toContain("candidate:");
  });
});
