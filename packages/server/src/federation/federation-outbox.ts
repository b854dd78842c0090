import { Type } from "@sinclair/typebox";
import { FEDERATION_PREFIX, newId, type VollyError } from "@volly/protocol";
import { periodicJob } from "../services/periodic-job.js";
import type { Repositories } from "../store/types.js";
import { coalesced } from "./coalesced.js";
import type { FederationContext } from "./federation-context.js";

/** Any JSON object: what a note's answer must be (its content is not used). */
const NoteAnswer = Type.Object({});

/** Most notes sent per run. */
const NOTES_PER_RUN = 100;

/**
 * Notes this server must get to other servers even when they are down for a while: stored
 * (`federation_outbox`, migration 0015) in the transaction of the change they announce, sent at once,
 * and sent again every `intervalMs` until the server answers. A server that refuses one (any typed
 * error but VOLLY_E_FEDERATION_UNREACHABLE) has it dropped with a warning. Each note's route must be
 * idempotent: a note whose answer was lost is sent again.
 */
export interface FederationOutbox {
  /**
   * Queues `body` for `path` (under `/federation/v1`, answered with `{}` or any object) to each
   * of `servers` but this one, in `tx` when given (so the note is stored with what it announces).
   * Call {@link flush} after the transaction commits.
   */
  queue(servers: Iterable<string>, path: string, body: unknown, tx?: Repositories): Promise<void>;
  /** Sends what is queued now (the periodic run does too). Never throws. */
  flush(): void;
  /** Called after a note was delivered: the server it went to and its path. */
  onDelivered(listener: (server: string, path: string) => void): void;
  /** Starts the periodic sending. */
  start(): void;
  /** Stops it and waits for the run in progress. */
  stop(): Promise<void>;
}

/** Builds the {@link FederationOutbox}. */
export function createFederationOutbox(
  ctx: FederationContext,
  options: { intervalMs?: number } = {},
): FederationOutbox {
  const { store, now } = ctx.service;
  const listeners: Array<(server: string, path: string) => void> = [];

  const run = coalesced(async () => {
    for (const note of await store.federation.listOutbox(NOTES_PER_RUN)) {
      try {
        await ctx.caller.request(note.server, "POST", `${FEDERATION_PREFIX}${note.path}`, {
          body: JSON.parse(note.body) as unknown,
          response: NoteAnswer,
        });
      } catch (error) {
        const code = (error as VollyError).code;
        if (code === "VOLLY_E_FEDERATION_UNREACHABLE") continue;
        ctx.log.warn({ server: note.server, path: note.path, code }, "federation: a server refused a note");
      }
      await store.federation.deleteOutbox(note.id);
      for (const listener of listeners) listener(note.server, note.path);
    }
  });
  const job = periodicJob(
    () => run(),
    options.intervalMs ?? 2_000,
    (error) => ctx.log.error({ err: String(error) }, "federation: sending notes failed"),
  );
  const flush = () => {
    run().catch((error: unknown) =>
      ctx.log.error({ err: String(error) }, "federation: sending notes failed"),
    );
  };

  return {
    async queue(servers, path, body, tx) {
      const text = JSON.stringify(body);
      const at = now();
      const notes = [...new Set(servers)]
        .filter((server) => server !== ctx.serverName)
        .map((server) => ({ id: newId(), server, path, body: text, createdAt: at }));
      await (tx ?? store).federation.queueOutbox(notes);
    },
    flush,
    onDelivered: (listener) => listeners.push(listener),
    start: () => job.start(),
    stop: () => job.stop(),
  };
}
