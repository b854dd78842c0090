import { GatewayOp } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayClient } from "../../packages/server/test/helpers/gateway-client.js";
import {
  call,
  connectWireMember,
  createWireGroup,
  registerWireMember,
  type SendAnswer,
  sendOnce,
  type WireMember,
} from "../integration/helpers/wire-members.js";
import { type Cluster, POSTGRES, REDIS_SERVER, startCluster } from "./helpers/cluster.js";

/** The bots' budget: requests + SENDs per account per window, over both nodes together. */
const BOT_BUDGET = 6;

/**
 * Per-entity-type budgets in the scaled shape: two real `volly serve` processes sharing PostgreSQL
 * and Redis (the rate counters live there) with VOLLY_RATE_LIMIT_BOT_MAX=6. A bot's requests to
 * either node count together against the bot budget; a human doing the same on both nodes stays
 * within the human default; the bot's gateway SENDs on a node are refused once the shared count is
 * spent (each node may accept a SEND or so before it has read the shared count: the documented
 * slack of the Redis path), the human's are not.
 */
describe.skipIf(!POSTGRES.run || !REDIS_SERVER.run)(
  "per-entity-type rate limits on 2 `volly serve` processes over PostgreSQL + Redis",
  () => {
    let cluster: Cluster;
    let urls: [string, string];
    let groupId: string;
    const members = {} as Record<"owner" | "bot" | "human", WireMember>;
    const gateways: GatewayClient[] = [];

    beforeAll(async () => {
      cluster = await startCluster(2, {
        VOLLY_RATE_LIMIT_WINDOW_MS: "60000",
        VOLLY_RATE_LIMIT_BOT_MAX: String(BOT_BUDGET),
      });
      urls = [cluster.nodes[0]?.url ?? "", cluster.nodes[1]?.url ?? ""];
      members.owner = await registerWireMember(urls[0], "service");
      members.bot = await registerWireMember(urls[0], "bot");
      members.human = await registerWireMember(urls[1], "human");
      groupId = await createWireGroup(urls[0], members.owner, [members.bot, members.human]);
    }, 120_000);

    afterAll(async () => {
      await Promise.all(gateways.map((g) => g.close()));
      await cluster?.close();
    });

    it("a bot's REST requests to either node share the bot budget; a human's do not run out", async () => {
      for (const member of [members.bot, members.human]) {
        for (let i = 0; i < BOT_BUDGET; i++) {
          const answer = await call(urls[i % 2] ?? "", "GET", "/v1/key-packages/count", {
            auth: member.auth,
          });
          expect(answer.status).toBe(200);
        }
      }
      for (const url of urls) {
        const bot = await call(url, "GET", "/v1/key-packages/count", { auth: members.bot.auth });
        expect(bot.status).toBe(429);
        expect(bot.body).toMatchObject({ code: "VOLLY_E_RATE_LIMITED", details: { entityType: "bot" } });
        expect(bot.body.details?.retryAfterMs).toBeGreaterThan(0);
        expect(Number(bot.headers.get("retry-after"))).toBeGreaterThan(0);
        const human = await call(url, "GET", "/v1/key-packages/count", { auth: members.human.auth });
        expect(human.status).toBe(200);
      }
    });

    it("the bot's gateway SENDs on the other node are refused with details.retryAfterMs; the human's go through", async () => {
      const bot = await connectWireMember(urls[1], members.bot);
      const human = await connectWireMember(urls[1], members.human);
      gateways.push(bot, human);
      const answers: SendAnswer[] = [];
      for (let i = 0; i < 4; i++) answers.push(await sendOnce(bot, groupId));
      // A node that has not read the bot's count yet may accept its first SEND; no more than that.
      const refused = answers.filter((a) => a.op === GatewayOp.ERROR);
      expect(refused.length).toBeGreaterThanOrEqual(3);
      for (const answer of refused) {
        expect(answer.d).toMatchObject({
          code: "VOLLY_E_RATE_LIMITED",
          details: { messageId: answer.messageId, limit: "messages", entityType: "bot" },
        });
        expect(answer.d.details?.retryAfterMs).toBeGreaterThan(0);
      }
      for (let i = 0; i < 4; i++) expect((await sendOnce(human, groupId)).op).toBe(GatewayOp.SEND_ACK);
    });
  },
);
