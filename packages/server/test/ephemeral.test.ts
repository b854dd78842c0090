import { newId } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import type { HttpDevice } from "./helpers/app.js";
import { snapshotDatabase } from "./helpers/db-snapshot.js";
import type { GatewayClient } from "./helpers/gateway-client.js";
import { dispatched, useLiveServer } from "./helpers/live-server.js";

/**
 * Waits for the EPHEMERAL_MESSAGE carrying `ciphertext`: a marker relayed after the relay under
 * test, so that a dispatch the client should not get would have arrived before it (one connection
 * delivers in order) — the absence is checked at a known point, not after a guessed delay.
 */
const marker = (client: GatewayClient, ciphertext: string) =>
  client.next(
    (f) => f.t === "EPHEMERAL_MESSAGE" && (f.d as { ciphertext: string }).ciphertext === ciphertext,
  );
const ciphertextsOf = (client: GatewayClient) =>
  dispatched(client, "EPHEMERAL_MESSAGE").map((f) => (f.d as { ciphertext: string }).ciphertext);

describe("ephemeral relay (POST /v1/groups/:groupId/ephemeral, dispatch EPHEMERAL_MESSAGE)", () => {
  const s = useLiveServer();

  const relay = (device: HttpDevice, groupId: string, body: unknown) =>
    s.f.app.inject({
      method: "POST",
      url: `/v1/groups/${groupId}/ephemeral`,
      headers: device.auth,
      payload: body as Record<string, unknown>,
    });

  it("relays to the live sessions of the group's other member devices only, answers 202, stores nothing", async () => {
    const alice = await s.register();
    const alicePhone = await s.addDevice(alice);
    const bob = await s.register();
    const carol = await s.register();
    const groupId = await s.createGroup(alice, [bob, alicePhone]);
    const carolGroup = await s.createGroup(alice, [carol]); // carol shares another group with alice, not this one
    const { client: aliceClient } = await s.synced(alice);
    const { client: bobClient } = await s.synced(bob);
    const { client: phoneClient } = await s.synced(alicePhone);
    const { client: carolClient } = await s.synced(carol);
    const before = snapshotDatabase(s.f.file);

    const res = await relay(alice, groupId, { epoch: 1, ciphertext: "AAECAwQF" });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({});
    const event = await bobClient.nextDispatch("EPHEMERAL_MESSAGE");
    expect(event.d).toEqual({
      groupId,
      senderDeviceId: alice.deviceId,
      senderAccountId: alice.accountId,
      senderHandle: alice.handle,
      epoch: 1,
      ciphertext: "AAECAwQF",
    });
    expect((await phoneClient.nextDispatch("EPHEMERAL_MESSAGE")).d).toEqual(event.d);
    // Markers after it: bob's relay reaches alice, alice's in the other group reaches carol.
    expect((await relay(bob, groupId, { epoch: 1, ciphertext: "QkJCQg" })).statusCode).toBe(202);
    expect((await relay(alice, carolGroup, { epoch: 1, ciphertext: "Q0NDQw" })).statusCode).toBe(202);
    await Promise.all([marker(aliceClient, "QkJCQg"), marker(carolClient, "Q0NDQw")]);
    expect(ciphertextsOf(aliceClient)).toEqual(["QkJCQg"]); // never back to the sender
    expect(ciphertextsOf(carolClient)).toEqual(["Q0NDQw"]);
    expect(snapshotDatabase(s.f.file)).toEqual(before);
  });

  it("refuses non-members (403), unknown groups (404), bad bodies (400), future epochs; relays nothing", async () => {
    const alice = await s.register();
    const bob = await s.register();
    const mallory = await s.register();
    const groupId = await s.createGroup(alice, [bob]);
    const { client: bobClient } = await s.synced(bob);
    const before = snapshotDatabase(s.f.file);

    const byMallory = await relay(mallory, groupId, { epoch: 1, ciphertext: "AAAA" });
    expect([byMallory.statusCode, byMallory.json().code]).toEqual([403, "VOLLY_E_NOT_GROUP_MEMBER"]);
    const unknown = await relay(alice, newId(), { epoch: 1, ciphertext: "AAAA" });
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, "VOLLY_E_UNKNOWN_GROUP"]);
    for (const body of [
      {},
      { epoch: 1 },
      { epoch: -1, ciphertext: "AAAA" },
      { epoch: 1, ciphertext: "a+b/" },
      { epoch: 1, ciphertext: "AAAA", messageId: newId() },
    ]) {
      const bad = await relay(alice, groupId, body);
      expect([bad.statusCode, bad.json().code], JSON.stringify(body)).toEqual([400, "VOLLY_E_BAD_REQUEST"]);
    }
    const future = await relay(alice, groupId, { epoch: 99, ciphertext: "AAAA" });
    expect([future.statusCode, future.json().details]).toEqual([400, { currentEpoch: 1 }]);
    const huge = await relay(alice, groupId, { epoch: 1, ciphertext: "A".repeat(70 * 1024) });
    expect([huge.statusCode, huge.json().code]).toEqual([413, "VOLLY_E_PAYLOAD_TOO_LARGE"]);
    // A valid relay after them is the first and only one bob gets.
    expect((await relay(alice, groupId, { epoch: 1, ciphertext: "T0tPSw" })).statusCode).toBe(202);
    await marker(bobClient, "T0tPSw");
    expect(ciphertextsOf(bobClient)).toEqual(["T0tPSw"]);
    expect(snapshotDatabase(s.f.file)).toEqual(before);
  });

  it("no longer reaches a device that left the group, nor lets it relay", async () => {
    const alice = await s.register();
    const bob = await s.register();
    const groupId = await s.createGroup(alice, [bob]);
    const stillShared = await s.createGroup(alice, [bob]);
    const { client: aliceClient } = await s.synced(alice);
    const { client: bobClient } = await s.synced(bob);
    expect((await s.leave(bob, groupId)).statusCode).toBe(200);
    await aliceClient.nextDispatch("GROUP_MESSAGE"); // the departure
    expect((await relay(alice, groupId, { epoch: 1, ciphertext: "AAAA" })).statusCode).toBe(202);
    expect((await relay(bob, groupId, { epoch: 1, ciphertext: "AAAA" })).statusCode).toBe(403);
    // A marker in the group bob is still in arrives; the relay in the group he left did not.
    expect((await relay(alice, stillShared, { epoch: 1, ciphertext: "U1RJTEw" })).statusCode).toBe(202);
    await marker(bobClient, "U1RJTEw");
    expect(ciphertextsOf(bobClient)).toEqual(["U1RJTEw"]);
  });
});
