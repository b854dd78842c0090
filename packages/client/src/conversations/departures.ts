import { groupMembers, type MlsGroup, ownLeafIndex } from "@volly/crypto";
import type { GroupMessageEvent } from "@volly/protocol";
import type { ClientContext } from "../shared/client-context.js";
import type { Stores } from "../storage/stores.js";
import type { VaultBatch } from "../storage/vault.js";
import { buildRemoveCommit, type PreparedCommit } from "./commit-builders.js";
import type { ConversationRecord } from "./conversation-records.js";
import type { GroupCommits } from "./group-commits.js";

/**
 * Stages dropping departed devices that are no longer in `group` (their Remove was committed) and
 * returns the ones still to remove.
 */
export async function pruneDepartures(
  stores: Stores,
  conversationId: string,
  group: MlsGroup,
  batch: VaultBatch,
): Promise<string[]> {
  const departed = await stores.departures.of(conversationId);
  if (departed.length === 0) return [];
  const inGroup = new Set(groupMembers(group).map((m) => m.credential.deviceId));
  const still = departed.filter((d) => inGroup.has(d));
  if (still.length === 0) stores.departures.delete(batch, conversationId);
  else if (still.length !== departed.length) stores.departures.put(batch, conversationId, still);
  return still;
}

/**
 * Departures: a device that left a group (POST /v1/groups/:id/leave) or was revoked is announced
 * by a `departure` log entry; the remaining member device with the lowest leaf index commits its
 * Remove (RFC 9420 §12.1.3 — ts-mls has no SelfRemove). Departed devices are kept per conversation
 * until a commit removed them; the Remove runs in the background, one at a time per conversation,
 * and is resumed after every SYNCED.
 */
export class Departures {
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();

  constructor(
    private readonly ctx: ClientContext,
    private readonly commits: GroupCommits,
  ) {}

  /**
   * Records a departure entry (inside the conversation's queue) with the advanced conversation,
   * then starts the Remove commit in the background. Never counted as undecryptable.
   */
  async recordLocked(advanced: ConversationRecord, event: GroupMessageEvent): Promise<void> {
    const { stores } = this.ctx;
    const departed = await stores.departures.of(advanced.id);
    if (!departed.includes(event.senderDeviceId)) departed.push(event.senderDeviceId);
    await stores.departures
      .put(stores.conversations.save(stores.batch(), advanced), advanced.id, departed)
      .commit();
    this.schedule(advanced.id);
  }

  /** Resumes the Remove commits of every conversation with departed devices (after a SYNCED). */
  async resume(): Promise<void> {
    for (const id of await this.ctx.stores.departures.ids()) this.schedule(id);
  }

  /**
   * Runs the departure Remove commit of a conversation in the background (one at a time per
   * conversation; a call while one runs runs it again afterwards).
   */
  schedule(conversationId: string): void {
    if (this.running.has(conversationId)) {
      this.again.add(conversationId);
      return;
    }
    this.running.add(conversationId);
    void (async () => {
      try {
        do {
          this.again.delete(conversationId);
          await this.commits.commit(conversationId, (group, _conv, excluded) =>
            this.prepareRemoval(conversationId, group, excluded),
          );
        } while (this.again.has(conversationId));
      } catch (err) {
        // retried on the next departure, commit or SYNCED
        this.ctx.diagnostics.report("departures.remove", err);
      } finally {
        this.running.delete(conversationId);
      }
    })();
  }

  /**
   * The Remove commit for departed devices, built only by the remaining member with the lowest
   * leaf index; a race with another committer ends with VOLLY_E_STALE_EPOCH, and after processing
   * the winner there is nothing left to remove.
   */
  private async prepareRemoval(
    conversationId: string,
    group: MlsGroup,
    excluded: ReadonlySet<string>,
  ): Promise<PreparedCommit | undefined> {
    const { stores } = this.ctx;
    const departed = await stores.departures.of(conversationId);
    const leaves = groupMembers(group);
    const gone = leaves.filter((l) => departed.includes(l.credential.deviceId));
    if (gone.length === 0) {
      if (departed.length > 0) await stores.departures.delete(stores.batch(), conversationId).commit();
      return undefined;
    }
    const remaining = leaves.filter((l) => !departed.includes(l.credential.deviceId));
    const lowest = Math.min(...remaining.map((l) => l.leafIndex));
    if (lowest !== ownLeafIndex(group)) return undefined;
    return buildRemoveCommit(
      this.ctx.suite,
      group,
      gone.map((l) => l.leafIndex),
      excluded,
    );
  }
}
