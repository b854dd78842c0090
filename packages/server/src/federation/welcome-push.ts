import { FEDERATION_PREFIX, type FederatedWelcome, FederationEmpty, type VollyError } from "@volly/protocol";
import { periodicJob } from "../services/periodic-job.js";
import { coalesced } from "./coalesced.js";
import type { FederationContext } from "./federation-context.js";

/** Welcomes read per run. */
const BATCH = 100;
/** Longest pause before a server that failed is tried again (ms). */
const MAX_BACKOFF_MS = 60_000;

/**
 * The hub's delivery of Welcomes to the home servers of the devices a commit added (RFC 9420
 * §12.4.3.1: "the DS delivers the Welcome to the new members"). The Welcome waits in the device's
 * inbox here, written in the commit's transaction, until its home server confirmed it stored it
 * (its answer comes after its commit), then is acknowledged here: none is lost to a crash of either
 * server. A server that fails is retried with exponential backoff up to {@link MAX_BACKOFF_MS}.
 */
export interface WelcomePush {
  /** Runs soon (after a commit added devices of another server). */
  kick(): void;
  start(): void;
  stop(): Promise<void>;
}

/** Builds the {@link WelcomePush}. */
export function createWelcomePush(
  ctx: FederationContext,
  options: { intervalMs?: number } = {},
): WelcomePush {
  const { store, now } = ctx.service;
  const backoff = new Map<string, { until: number; delayMs: number }>();

  const runOnce = async (): Promise<void> => {
    const refs = await store.federation.listRemoteWelcomes(BATCH);
    const batches = new Map<string, { server: string; welcome: FederatedWelcome }>();
    for (const ref of refs) {
      const wait = backoff.get(ref.server);
      if (wait && wait.until > now()) continue;
      const pending = await store.welcomes.findPending(ref.deviceId, ref.welcomeId);
      if (!pending) continue;
      const key = `${ref.server} ${pending.groupId} ${pending.seq}`;
      const batch = batches.get(key);
      if (batch) {
        batch.welcome.recipients.push({ deviceId: ref.deviceId, welcomeId: ref.welcomeId });
        continue;
      }
      batches.set(key, {
        server: ref.server,
        welcome: {
          groupId: pending.groupId,
          seq: pending.seq,
          epoch: pending.epoch,
          senderDeviceId: pending.senderDeviceId,
          recipients: [{ deviceId: ref.deviceId, welcomeId: ref.welcomeId }],
          welcome: pending.payload,
          ratchetTree: pending.ratchetTree,
        },
      });
    }
    for (const { server, welcome } of batches.values()) {
      try {
        await ctx.caller.request(server, "POST", `${FEDERATION_PREFIX}/welcomes`, {
          body: welcome,
          response: FederationEmpty,
        });
        backoff.delete(server);
        for (const r of welcome.recipients) await store.welcomes.ack(r.deviceId, [r.welcomeId], now());
      } catch (error) {
        const delayMs = Math.min(MAX_BACKOFF_MS, (backoff.get(server)?.delayMs ?? 500) * 2);
        backoff.set(server, { until: now() + delayMs, delayMs });
        ctx.log.warn(
          { server, groupId: welcome.groupId, code: (error as VollyError).code },
          "federation: welcome not delivered; will retry",
        );
      }
    }
  };

  const run = coalesced(runOnce);
  const job = periodicJob(
    () => run(),
    options.intervalMs ?? 2_000,
    (error) => ctx.log.error({ err: String(error) }, "federation: welcome push failed"),
  );

  return {
    kick() {
      run().catch((error: unknown) =>
        ctx.log.error({ err: String(error) }, "federation: welcome push failed"),
      );
    },
    start: () => job.start(),
    stop: () => job.stop(),
  };
}
