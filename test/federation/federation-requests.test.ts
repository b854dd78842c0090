import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { VollyClient } from "@volly/client";
import { FEDERATION_WELL_KNOWN_PATH, newId, toBase64Url } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../packages/server/src/federation/signing/request-signing.js";
import {
  generateServerSigningKey,
  loadOrCreateServerKey,
} from "../../packages/server/src/federation/signing/server-key.js";
import { freePort } from "../../packages/server/test/helpers/redis-server.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { clientOn, type FederatedServer, startFederatedServer } from "./helpers/federated-servers.js";

/** A server that publishes a signing key at its well-known URL and signs requests with it. */
async function startRogue(host: string) {
  const port = await freePort(host);
  const name = `${host}:${port}`;
  const key = generateServerSigningKey();
  /** Canned answers to (unverified) requests, by path. */
  const replies = new Map<string, unknown>();
  const calls: string[] = [];
  const server: Server = createServer((request, response) => {
    const reply = replies.get(request.url ?? "");
    if (reply !== undefined) {
      calls.push(request.url ?? "");
      request.resume();
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply));
      return;
    }
    if (request.url !== FEDERATION_WELL_KNOWN_PATH) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        v: 1,
        name,
        federationUrl: `http://${name}`,
        keys: [{ keyId: key.keyId, publicKey: toBase64Url(key.publicKey) }],
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    name,
    serverName: name,
    key,
    replies,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Sends a request to `target` signed as `signer` (headers may be replaced to forge or replay). */
async function signedFetch(
  target: FederatedServer,
  path: string,
  signer: { serverName: string; key: ReturnType<typeof generateServerSigningKey> },
  options: { method?: string; body?: unknown; now?: number; headers?: Record<string, string> } = {},
) {
  const method = options.method ?? "GET";
  const body =
    options.body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(options.body));
  const url = `${target.url}${path}`;
  const headers = options.headers ?? {
    ...(body ? { "content-type": "application/json" } : {}),
    ...(await signRequest({ method, url, headers: {}, ...(body ? { body } : {}) }, signer, options.now)),
  };
  const response = await fetch(url, { method, headers, ...(body ? { body } : {}) });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as { code?: string }) : {}, headers };
}

/**
 * The server-to-server API of real `volly serve` processes on their own loopback addresses: the
 * well-known document, directory lookups of another server's account, and the refusal of requests
 * whose RFC 9421 signature is forged, replayed, stale or from a blocked server.
 */
describe("federation requests between servers", () => {
  let a: FederatedServer;
  let b: FederatedServer;
  let rogue: Awaited<ReturnType<typeof startRogue>>;
  let bob: VollyClient;
  const home = tempDir("volly-fed-req-");

  beforeAll(async () => {
    rogue = await startRogue("127.0.0.5");
    // A small storage quota per account on a: its copies of other servers' files count against it.
    a = await startFederatedServer("127.0.0.2", { VOLLY_STORAGE_QUOTA_BYTES: "100000" });
    b = await startFederatedServer("127.0.0.3", { VOLLY_FEDERATION_BLOCK: rogue.name });
    bob = await clientOn(join(home, "b"), b, "bob");
  });

  afterAll(async () => {
    await bob?.close().catch(() => undefined);
    await Promise.all([a?.process.stop(), b?.process.stop(), rogue?.close()]);
  });

  it("publishes its name, federation URL and signing key at the well-known URL", async () => {
    const response = await fetch(`${a.url}${FEDERATION_WELL_KNOWN_PATH}`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { name: string; federationUrl: string; keys: unknown[] };
    expect(document).toMatchObject({ v: 1, name: a.name, federationUrl: a.url });
    expect(document.keys).toHaveLength(1);
  });

  it("looks up another server's account by user@server, and shows it qualified", async () => {
    const response = await fetch(`${a.url}/v1/accounts/bob@${b.name}`);
    expect(response.status).toBe(200);
    const account = (await response.json()) as {
      accountId: string;
      handle: string;
      devices: { deviceId: string }[];
    };
    expect(account.accountId).toBe(bob.profile.accountId);
    expect(account.handle).toBe(`bob@${b.name}`);
    expect(account.devices.map((d) => d.deviceId)).toEqual([bob.profile.deviceId]);
    // Its own server shows it bare, also when asked with its own name.
    const own = (await (await fetch(`${b.url}/v1/accounts/bob@${b.name}`)).json()) as { handle: string };
    expect(own.handle).toBe("bob");
    // An account the other server does not have is unknown, not an error of the federation.
    const missing = await fetch(`${a.url}/v1/accounts/nobody@${b.name}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe("VOLLY_E_UNKNOWN_HANDLE");
  });

  it("answers a request its signer's published key verifies", async () => {
    const ok = await signedFetch(a, "/federation/v1/accounts/nobody", {
      serverName: rogue.name,
      key: rogue.key,
    });
    expect(ok.json.code).toBe("VOLLY_E_UNKNOWN_HANDLE");
  });

  it("gives a group's blob only to its members' servers (another gets not-found) and copies a sender's file under the sender's quota", async () => {
    const ann = await clientOn(join(home, "a"), a, "ann");
    try {
      const group = (await ann.conversations.createGroup("ann and bob", [`@bob@${b.name}`])).id;
      const sent = await ann.attachments.whenSent(
        (
          await ann.attachments.send(group, [
            { source: new Uint8Array(5_000), name: "x.bin", mime: "text/plain" },
          ])
        ).id,
      );
      const blobId = sent.attachments?.[0]?.blobId as string;
      // b (bob's server) may read it; a valid signature of a server with no member in the group may not
      const bKey = await loadOrCreateServerKey(join(b.dataDir, "federation-key.json"));
      const path = `/federation/v1/groups/${group}/blobs/${blobId}`;
      const member = await fetch(`${a.url}${path}`, {
        headers: await signRequest(
          { method: "GET", url: `${a.url}${path}`, headers: {} },
          {
            serverName: b.name,
            key: bKey,
          },
        ),
      });
      expect(member.status).toBe(200);
      // the ciphertext, which hashes to its id
      const body = Buffer.from(await member.arrayBuffer());
      expect(createHash("sha256").update(body).digest("base64url")).toBe(blobId);
      const stranger = await signedFetch(a, path, { serverName: rogue.name, key: rogue.key });
      expect(stranger).toMatchObject({ status: 404, json: { code: "VOLLY_E_NOT_FOUND" } });

      // bob's file in ann's group is copied to a (the hub) under bob's quota there: within it, it
      // goes through; past it, the hub refuses the message for good and says why
      await bob.connect();
      await waitFor(async () => (await bob.conversations.list()).some((c) => c.id === group), {
        message: "bob has ann's group",
      });
      const small = await bob.attachments.whenSent(
        (
          await bob.attachments.send(group, [
            { source: new Uint8Array(40_000), name: "s.bin", mime: "text/plain" },
          ])
        ).id,
      );
      expect(small.attachments?.[0]?.blobId).toBeDefined();
      const large = await bob.attachments.send(group, [
        { source: new Uint8Array(80_000), name: "l.bin", mime: "text/plain" },
      ]);
      const refused = await bob.attachments.whenSent(large.id).catch((error: unknown) => error);
      expect(refused).toMatchObject({
        code: "VOLLY_E_BLOB_NOT_READY",
        details: { cause: "VOLLY_E_QUOTA_EXCEEDED" },
      });
    } finally {
      await ann.close();
    }
  });

  it("refuses community calls and channel group creations a server makes for an account or device not its own", async () => {
    const rogueSigner = { serverName: rogue.name, key: rogue.key };
    // bob is b's account: another server cannot act for him in a's communities
    const call = await signedFetch(a, "/federation/v1/communities/calls", rogueSigner, {
      method: "POST",
      body: {
        account: { accountId: bob.profile.accountId, handle: "bob" },
        route: "listCommunities",
        params: {},
      },
    });
    expect(call).toMatchObject({ status: 403, json: { code: "VOLLY_E_FORBIDDEN" } });
    const creation = await signedFetch(a, "/federation/v1/groups", rogueSigner, {
      method: "POST",
      body: {
        deviceId: bob.profile.deviceId,
        group: { groupId: newId(), groupInfo: "AA", ratchetTree: "AA", channelId: newId() },
      },
    });
    expect(creation).toMatchObject({ status: 403, json: { code: "VOLLY_E_FORBIDDEN" } });
    // a route that is not a relayed community route is bad input
    const bad = await signedFetch(a, "/federation/v1/communities/calls", rogueSigner, {
      method: "POST",
      body: {
        account: { accountId: bob.profile.accountId, handle: "bob" },
        route: "createCommunity",
        params: {},
      },
    });
    expect(bad).toMatchObject({ status: 400, json: { code: "VOLLY_E_BAD_REQUEST" } });
    // a community's updates are taken only from the server hosting it
    const update = await signedFetch(a, `/federation/v1/communities/${newId()}/updates`, rogueSigner, {
      method: "POST",
      body: { deviceIds: [bob.profile.deviceId] },
    });
    expect(update).toMatchObject({ status: 403, json: { code: "VOLLY_E_FORBIDDEN" } });
  });

  it("another server's answer cannot divert calls about this server's own community to itself", async () => {
    const amy = await clientOn(join(home, "a"), a, "amy");
    try {
      const own = await amy.communities.create("Home");
      // the rogue answers a join with a's own community (its id and channels) under another name
      rogue.replies.set("/federation/v1/communities/calls", { ...own, name: "Hijacked" });
      const joined = await amy.communities.join(`volly-community:http://${rogue.name}/abcdefghijklmnop`);
      expect(joined).toMatchObject({ name: "Hijacked", server: rogue.name });
      const calls = rogue.calls.length;
      // a still answers for its own community and channel itself
      expect((await amy.communities.get(own.communityId)).name).toBe("Home");
      const general = own.channels[0]?.channelId as string;
      expect((await amy.communities.updateChannel(general, { topic: "ours" })).topic).toBe("ours");
      expect(rogue.calls.length).toBe(calls);
    } finally {
      rogue.replies.clear();
      await amy.close();
    }
  });

  it("refuses a request signed with a key the named server does not publish", async () => {
    const forged = generateServerSigningKey();
    const { status, json } = await signedFetch(a, "/federation/v1/accounts/bob", {
      serverName: b.name,
      key: forged,
    });
    expect(status).toBe(401);
    expect(json.code).toBe("VOLLY_E_FEDERATION_SIGNATURE_INVALID");
  });

  it("refuses a signed request whose body was changed on the way", async () => {
    const body = { lastSeq: 1 };
    const signed = await signedFetch(a, "/federation/v1/groups/AAAAAAAAAAAAAAAAAAAAAA/notices", rogue, {
      method: "POST",
      body,
    });
    expect(signed.status).toBe(200); // a note for a group not mirrored here is ignored
    const tampered = await fetch(`${a.url}/federation/v1/groups/AAAAAAAAAAAAAAAAAAAAAA/notices`, {
      method: "POST",
      headers: { ...signed.headers, "volly-origin": rogue.name },
      body: JSON.stringify({ lastSeq: 2 }),
    });
    expect(tampered.status).toBe(401);
    expect(((await tampered.json()) as { code: string }).code).toBe("VOLLY_E_FEDERATION_SIGNATURE_INVALID");
  });

  it("refuses a replayed request and a stale one", async () => {
    const first = await signedFetch(a, "/federation/v1/accounts/nobody", {
      serverName: rogue.name,
      key: rogue.key,
    });
    expect(first.status).toBe(404);
    const replayed = await signedFetch(a, "/federation/v1/accounts/nobody", rogue, {
      headers: first.headers,
    });
    expect(replayed.status).toBe(401);
    expect(replayed.json.code).toBe("VOLLY_E_FEDERATION_REPLAYED");
    const stale = await signedFetch(
      a,
      "/federation/v1/accounts/nobody",
      { serverName: rogue.name, key: rogue.key },
      {
        now: Date.now() - 10 * 60_000,
      },
    );
    expect(stale.status).toBe(401);
    expect(stale.json.code).toBe("VOLLY_E_FEDERATION_STALE");
  });

  it("refuses every request of a server it blocks, and counts it", async () => {
    const { status, json } = await signedFetch(b, "/federation/v1/accounts/bob", {
      serverName: rogue.name,
      key: rogue.key,
    });
    expect(status).toBe(403);
    expect(json.code).toBe("VOLLY_E_FEDERATION_BLOCKED");
    // The server keeps serving everyone else.
    expect((await fetch(`${a.url}/v1/accounts/bob@${b.name}`)).status).toBe(200);
  });
});
