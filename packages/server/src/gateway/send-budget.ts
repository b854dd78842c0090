import { budgetOf, type EntityBudgets } from "../config-rate-limits.js";
import type { RateCounters } from "../http/rate-counters.js";

/** Why a SEND was refused: which budget ran out, and when its window ends (ms from now). */
export interface BudgetRefusal {
  limit: "messages" | "bytes";
  retryAfterMs: number;
}

/** Who a SEND is charged to: the account, and its entity type (which budget applies). */
export interface BudgetPayer {
  accountId: string;
  /** human, bot, agent, service or device (an unknown type gets the human budget). */
  entityType: string;
}

/**
 * The per-account budget gateway SENDs are charged to: each SEND counts as one request against the
 * account's REST budget (key `account:<id>`, the same counter the REST rate limit uses) and its
 * frame's bytes against a byte budget (`account-bytes:<id>`); the limits are those of the account's
 * entity type.
 */
export interface SendBudget {
  /**
   * Charges one SEND of `bytes` (the frame's size) to `payer`'s account, synchronously: undefined
   * when both budgets of its entity type allow it (it is counted), else which one ran out (nothing
   * is counted).
   */
  charge(payer: BudgetPayer, bytes: number): BudgetRefusal | undefined;
  /** Writes every pending count to the counters now; resolves when they answered. */
  flush(): Promise<void>;
  /** Flushes and stops. */
  close(): Promise<void>;
}

/** One budget of one account as this node sees it. */
interface Meter {
  /** The shared count as of the counters' last answer (every node's and the REST API's). */
  known: number;
  /** Charged here, not written yet. */
  pending: number;
  /** Written, answer awaited. */
  inFlight: number;
  /** When the window ends, as far as this node knows (ms since the epoch). */
  resetAt: number;
}

interface Account {
  messages: Meter;
  bytes: Meter;
}

/**
 * Creates a {@link SendBudget}. Counters in this process (the embedded shape) are read and added to
 * directly: exact. Otherwise (Redis) the decision is still synchronous (no round trip on the SEND
 * path): this node's pending charges plus the shared count as of the last write. Charges are
 * written to `counters` in batches, every `flushIntervalMs` — at once for an account's first SEND
 * in a window, so a node learns quickly what the others (and the REST API) used. With Redis
 * counters, an account spreading SENDs over nodes can therefore exceed its budget by what the nodes
 * accept before their next write returns (one flush interval's worth). When the counters fail
 * (Redis down), charges are dropped and SENDs let through, like the REST limit.
 *
 * @param options.counters the shared counters (the REST rate limit's)
 * @param options.windowMs the window of both budgets (ms), VOLLY_RATE_LIMIT_WINDOW_MS
 * @param options.budgets per entity type, `max` (SENDs + REST requests per account per window) and
 *   `bytes` (SEND frame bytes per account per window): `entityBudgets(config.rateLimit)`
 * @param options.flushIntervalMs how often pending charges are written (ms); default 100
 * @param options.onError called with every failed write (the charges are dropped)
 * @param options.now clock (ms)
 */
export function createSendBudget(options: {
  counters: RateCounters;
  windowMs: number;
  budgets: EntityBudgets;
  flushIntervalMs?: number;
  onError: (error: unknown) => void;
  now?: () => number;
}): SendBudget {
  const { counters, windowMs, budgets, onError } = options;
  const flushIntervalMs = options.flushIntervalMs ?? 100;
  const now = options.now ?? Date.now;
  const accounts = new Map<string, Account>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> | undefined;
  let closed = false;

  const meter = (): Meter => ({ known: 0, pending: 0, inFlight: 0, resetAt: 0 });
  /** Starts a new window when the known one is over; true when it did. */
  const roll = (m: Meter, at: number): boolean => {
    if (at < m.resetAt) return false;
    m.known = 0;
    m.resetAt = at + windowMs;
    return true;
  };
  const exceeds = (m: Meter, cost: number, max: number) => m.known + m.pending + m.inFlight + cost > max;

  const schedule = (delayMs: number) => {
    if (closed) return;
    if (timer && delayMs > 0) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, delayMs);
    timer.unref?.();
  };

  const write = async (key: string, m: Meter): Promise<void> => {
    const by = m.pending;
    if (by === 0) return;
    m.pending = 0;
    m.inFlight += by;
    try {
      const { current, ttlMs } = await counters.add(key, by, windowMs);
      m.known = current; // one write per meter at a time (flushes do not overlap)
      m.resetAt = now() + ttlMs;
    } catch (error) {
      onError(error);
    } finally {
      m.inFlight -= by;
    }
  };

  const flushOnce = async () => {
    const writes: Promise<void>[] = [];
    const at = now();
    for (const [accountId, account] of accounts) {
      const { messages, bytes } = account;
      const idle = (m: Meter) => m.pending === 0 && m.inFlight === 0 && at >= m.resetAt;
      if (idle(messages) && idle(bytes)) {
        accounts.delete(accountId);
        continue;
      }
      writes.push(write(`account:${accountId}`, messages), write(`account-bytes:${accountId}`, bytes));
    }
    await Promise.all(writes);
  };

  const flush = (): Promise<void> => {
    flushing ??= flushOnce().finally(() => {
      flushing = undefined;
      for (const account of accounts.values()) {
        if (account.messages.pending > 0 || account.bytes.pending > 0) {
          schedule(flushIntervalMs);
          break;
        }
      }
    });
    return flushing;
  };

  const local = counters.local;
  /** Counts in this process: exact, no batching. */
  const chargeLocally = (
    accountId: string,
    frameBytes: number,
    { max: messagesMax, bytes: bytesMax }: { max: number; bytes: number },
    counts: NonNullable<RateCounters["local"]>,
  ): BudgetRefusal | undefined => {
    const messagesKey = `account:${accountId}`;
    const bytesKey = `account-bytes:${accountId}`;
    const messages = counts.peek(messagesKey);
    if (messages.current + 1 > messagesMax) return { limit: "messages", retryAfterMs: messages.ttlMs };
    const bytes = counts.peek(bytesKey);
    if (bytes.current + frameBytes > bytesMax) {
      return { limit: "bytes", retryAfterMs: bytes.current > 0 ? bytes.ttlMs : windowMs };
    }
    counts.addNow(messagesKey, 1, windowMs);
    counts.addNow(bytesKey, frameBytes, windowMs);
    return undefined;
  };

  return {
    charge({ accountId, entityType }, frameBytes) {
      const budget = budgetOf(budgets, entityType);
      if (local) return chargeLocally(accountId, frameBytes, budget, local);
      const { max: messagesMax, bytes: bytesMax } = budget;
      const at = now();
      let account = accounts.get(accountId);
      if (!account) {
        account = { messages: meter(), bytes: meter() };
        accounts.set(accountId, account);
      }
      const { messages, bytes } = account;
      const fresh = roll(messages, at);
      roll(bytes, at);
      if (exceeds(messages, 1, messagesMax))
        return { limit: "messages", retryAfterMs: messages.resetAt - at };
      if (exceeds(bytes, frameBytes, bytesMax)) return { limit: "bytes", retryAfterMs: bytes.resetAt - at };
      messages.pending += 1;
      bytes.pending += frameBytes;
      // A window new to this node: learn the shared count at once.
      schedule(fresh ? 0 : flushIntervalMs);
      return undefined;
    },
    flush,
    async close() {
      closed = true;
      clearTimeout(timer);
      await flush();
    },
  };
}
