import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { newId } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { DEFAULT_FILES } from "../src/config-files.js";
import { registerOverHttp } from "./helpers/app.js";
import { type ClusterNode, createGroupVia, startNode } from "./helpers/cluster.js";
import { createTestDatabase, POSTGRES, type TestDatabase } from "./helpers/postgres.js";
import { type PrivateRedis, REDIS_SERVER, startPrivateRedis } from "./helpers/redis-server.js";
import { fakeCiphertext } from "./helpers/services.js";
import { fakeBlob, tusClient } from "./helpers/tus-client.js";

describe.skipIf(!POSTGRES.run || !REDIS_SERVER.run)(
  "encrypted files on two nodes over one PostgreSQL, one Redis and a shared blob directory",
  () => {
    let database: TestDatabase;
    let redis: PrivateRedis;
    let shared: { dir: string; remove: () => void };
    let one: ClusterNode;
    let two: ClusterNode;

    beforeAll(async () => {
      POSTGRES.assert();
      REDIS_SERVER.assert();
      database = await createTestDatabase();
      redis = await startPrivateRedis();
      shared = removableTempDir("volly-blobs-");
      const options = {
        databaseUrl: database.url,
        redisUrl: redis.url,
        config: { files: { ...DEFAULT_FILES, blobDir: shared.dir } },
      };
      [one, two] = await Promise.all([startNode(options), startNode(options)]);
    });
    afterAll(async () => {
      for (const n of [one, two]) await n?.close().catch(() => {});
      await redis?.stop();
      await database?.drop();
      shared?.remove();
    });

    it("resumes on one node an upload another started, serves it from both, and removes it from both", async () => {
      const alice = await registerOverHttp(one.app);
      const bob = await registerOverHttp(two.app);
      const groupId = await createGroupVia(one, alice, [bob]);
      const viaOne = tusClient(one.base);
      const viaTwo = tusClient(two.base);
      const { bytes, blobId } = fakeBlob(600_000);

      const created = await viaOne.create(alice, groupId, bytes.length, blobId);
      expect(created.status).toBe(201);
      const location = created.headers.get("location") ?? "";
      const file = join(shared.dir, "uploads", location.split("/").pop() ?? "");
      const patch = viaOne.startPatch(alice, location, 0, bytes.length, bytes.subarray(0, 300_000));
      await waitFor(() => statSync(file).size > 0, { message: "the first bytes on the shared volume" });
      patch.abort();
      let offset = 0;
      await waitFor(
        async () => {
          const head = await viaTwo.head(alice, location);
          offset = Number(head.headers.get("upload-offset"));
          return head.status === 200 && offset > 0 && offset === statSync(file).size;
        },
        { message: "node two to see the offset node one reached" },
      );
      expect((await viaTwo.patch(alice, location, offset, bytes.subarray(offset))).status).toBe(204);

      for (const via of [viaOne, viaTwo]) {
        const got = await via.blob(bob, blobId);
        expect(got.status).toBe(200);
        expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
      }
      const messageId = newId();
      const sent = await one.app.inject({
        method: "POST",
        url: `/v1/groups/${groupId}/messages`,
        headers: alice.auth,
        payload: {
          messageId,
          epoch: 1,
          ciphertext: fakeCiphertext(),
          blobIds: [blobId],
          declares: ["attachment"],
        },
      });
      expect(sent.statusCode, sent.body).toBe(200);
      const deleted = await two.app.inject({
        method: "DELETE",
        url: `/v1/groups/${groupId}/messages/${messageId}`,
        headers: alice.auth,
      });
      expect(deleted.statusCode, deleted.body).toBe(200);
      expect((await viaOne.blob(bob, blobId)).status).toBe(404);
      expect(existsSync(join(shared.dir, blobId))).toBe(false);
    });
  },
);
