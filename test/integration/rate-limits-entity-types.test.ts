import { rmSync } from "node:fs";
import { type EntityType, GatewayOp } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayClient } from "../../packages/server/test/helpers/gateway-client.js";
import { tempDir } from "../helpers/temp-dir.js";
import { sleep, waitFor } from "../helpers/wait-for.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";
import {
  call,
  connectWireMember,
  createWireGroup,
  dispatchedMessageIds,
  heartbeat,
  registerWireMember,
  sendOnce,
  type WireMember,
} from "./helpers/wire-members.js";

/** The small budget of the limited type: requests + SENDs per window. */
const BUDGET = 4;
/** Long enough for the requests below on a busy machine, short enough to wait out once. */
const WINDOW_MS = 8_000;

/**
 * Issue 15 "API keys and limits": budgets are per entity type. A real `volly serve` gives one entity
 * type a budget of {@link BUDGET} (VOLLY_RATE_LIMIT_<TYPE>_MAX) and leaves the others at their
 * defaults; an account of that type is refused on REST (429, Retry-After, details.retryAfterMs) and
 * on gateway SENDs (ERROR frame, connection kept; the SEND after the advertised wait goes through),
 * nothing refused takes effect, and an account of the other type doing the same is not limited.
 * Run once with bots limited and once with humans limited.
 */
describe.each([
  { limited: "bot", free: "human" },
  { limited: "human", free: "bot" },
] as { limited: EntityType; free: EntityType }[])(
  "VOLLY_RATE_LIMIT_$limited_MAX=4: a $limited is limited, a $free is not",
  ({ limited, free }) => {
    let server: ServerProcess;
    let groupId: string;
    const members = {} as Record<"owner" | "limited" | "free", WireMember>;
    const gateways = {} as Record<"owner" | "limited" | "free", GatewayClient>;

    beforeAll(async () => {
      server = await startServerProcess(tempDir("volly-rate-types-"), 0, {
        VOLLY_RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
        [`VOLLY_RATE_LIMIT_${limited.toUpperCase()}_MAX`]: String(BUDGET),
      });
      // The group's owner is a third kind of account: the two under test have used none of their budget.
      members.owner = await registerWireMember(server.url, "service");
      members.limited = await registerWireMember(server.url, limited);
      members.free = await registerWireMember(server.url, free);
      groupId = await createWireGroup(server.url, members.owner, [members.limited, members.free]);
      for (const who of ["owner", "limited", "free"] as const) {
        gateways[who] = await connectWireMember(server.url, members[who]);
      }
    });

    afterAll(async () => {
      await Promise.all(Object.values(gateways).map((g) => g.close()));
      await server?.stop();
      if (server) rmSync(server.dataDir, { recursive: true, force: true });
    });

    it(`a ${free} makes ${BUDGET + 2} REST requests and ${BUDGET + 2} SENDs, none refused`, async () => {
      const { free: member } = members;
      for (let i = 0; i < BUDGET + 2; i++) {
        const answer = await call(server.url, "GET", "/v1/key-packages/count", { auth: member.auth });
        expect(answer.status).toBe(200);
      }
      for (let i = 0; i < BUDGET + 2; i++) {
        expect((await sendOnce(gateways.free, groupId)).op).toBe(GatewayOp.SEND_ACK);
      }
    });

    it(`a ${limited} gets 429 with Retry-After and details.retryAfterMs past its budget; the refused request changes nothing`, async () => {
      const { limited: member } = members;
      for (let i = 0; i < BUDGET; i++) {
        const answer = await call(server.url, "GET", "/v1/key-packages/count", { auth: member.auth });
        expect(answer.status).toBe(200);
        expect(answer.headers.get("x-ratelimit-limit")).toBe(String(BUDGET));
      }
      const refused = await call(server.url, "PUT", "/v1/accounts/me/profile", {
        auth: member.auth,
        body: { displayName: "Never stored" },
      });
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({
        code: "VOLLY_E_RATE_LIMITED",
        message: expect.any(String),
        details: { entityType: limited },
      });
      const retryAfterMs = refused.body.details?.retryAfterMs as number;
      expect(retryAfterMs).toBeGreaterThan(0);
      expect(retryAfterMs).toBeLessThanOrEqual(WINDOW_MS);
      expect(Number(refused.headers.get("retry-after"))).toBe(Math.ceil(retryAfterMs / 1000));
      // Directory lookups are limited per IP, not per account: this one is answered.
      const entry = await call(server.url, "GET", `/v1/accounts/${member.handle}`);
      expect(entry.status).toBe(200);
      expect(entry.body.displayName).toBeUndefined();
    });

    it(`a ${limited}'s SEND past its budget gets the ERROR frame with details.retryAfterMs; the connection stays and the SEND after the wait is delivered`, async () => {
      const refused = await sendOnce(gateways.limited, groupId);
      expect(refused.op).toBe(GatewayOp.ERROR);
      expect(refused.d).toMatchObject({
        code: "VOLLY_E_RATE_LIMITED",
        details: { messageId: refused.messageId, limit: "messages", entityType: limited },
      });
      const retryAfterMs = refused.d.details?.retryAfterMs as number;
      expect(retryAfterMs).toBeGreaterThan(0);
      expect(retryAfterMs).toBeLessThanOrEqual(WINDOW_MS);
      await heartbeat(gateways.limited);

      // The wait the server asked for, then the same connection sends again.
      await sleep(retryAfterMs);
      const accepted = await sendOnce(gateways.limited, groupId);
      expect(accepted.op).toBe(GatewayOp.SEND_ACK);
      await waitFor(() => dispatchedMessageIds(gateways.owner, groupId).includes(accepted.messageId), {
        message: "the owner to receive the SEND made after the wait",
        timeoutMs: 15_000,
      });
      // Delivery is in order per group: the refused SEND would have arrived before it.
      expect(dispatchedMessageIds(gateways.owner, groupId)).not.toContain(refused.messageId);
      // And REST answers again in the new window.
      const rest = await call(server.url, "GET", "/v1/key-packages/count", { auth: members.limited.auth });
      expect(rest.status).toBe(200);
    });
  },
);
