import { EntityType, VollyError } from "@volly/protocol";

/**
 * One entity type's budget per rate-limit window (docs/machine-members/rate-limits.md). Every
 * account of that type has a budget of its own: all its devices and connections together.
 */
export interface EntityBudget {
  /** Requests to authenticated REST routes plus gateway SENDs per account per window. */
  max: number;
  /** Bytes of gateway SEND frames per account per window. */
  bytes: number;
}

/** A budget for every entity type. */
export type EntityBudgets = Record<EntityType, EntityBudget>;

/** Per-type settings as configured: each field optional (unset: see {@link entityBudgets}). */
export type EntityBudgetOverrides = Partial<Record<EntityType, Partial<EntityBudget>>>;

/** Every entity type, in the order of the protocol's schema. */
export const ENTITY_TYPES: readonly EntityType[] = EntityType.anyOf.map((literal) => literal.const);

const MiB = 1024 * 1024;

/**
 * Default {@link EntityBudgets}, per window of 60 s (the default VOLLY_RATE_LIMIT_WINDOW_MS):
 *
 * - bot, service: 120,000 requests (2,000/s on average) and 1 GiB of SEND frames (~17.9 MB/s) —
 *   the pre-existing single budget, sized so a bot or an integration sending 1,000 messages of
 *   16 KiB a second fits;
 * - agent, device: 30,000 requests (500/s) and 256 MiB — an AI agent's pace is set by its model
 *   (a reply takes hundreds of ms) and a device reports readings; a quarter of a bot's rate leaves
 *   room for bursts while an agent stuck in a loop, or a hijacked sensor, is stopped four times
 *   sooner;
 * - human: 12,000 requests (200/s) and 256 MiB — a person's clients together (typing, sync after a
 *   week offline, creating a 999-member group: ~1,000 lookups) stay far below it; a script running
 *   as a person at bot speed is stopped (it should be a bot account).
 */
export const DEFAULT_ENTITY_BUDGETS: EntityBudgets = {
  human: { max: 12_000, bytes: 256 * MiB },
  bot: { max: 120_000, bytes: 1024 * MiB },
  agent: { max: 30_000, bytes: 256 * MiB },
  service: { max: 120_000, bytes: 1024 * MiB },
  device: { max: 30_000, bytes: 256 * MiB },
};

/** The environment variable of one type's field, e.g. VOLLY_RATE_LIMIT_BOT_MAX, VOLLY_RATE_LIMIT_BOT_BYTES. */
export function entityBudgetVariable(type: EntityType, field: keyof EntityBudget): string {
  return `VOLLY_RATE_LIMIT_${type.toUpperCase()}_${field.toUpperCase()}`;
}

/** Largest request budget (1,000,000,000) and byte budget (10^15) a setting may have. */
const MAXIMA: Record<keyof EntityBudget, number> = { max: 1e9, bytes: 1e15 };

/**
 * Reads VOLLY_RATE_LIMIT_<TYPE>_MAX and VOLLY_RATE_LIMIT_<TYPE>_BYTES for every entity type (HUMAN,
 * BOT, AGENT, SERVICE, DEVICE); empty values are ignored. Values that are not digits are kept as
 * text so {@link checkEntityBudgets} names them in its error.
 *
 * @param env environment variables
 * @returns the settings found, or undefined when none is set
 */
export function entityBudgetsFromEnv(
  env: Record<string, string | undefined>,
): EntityBudgetOverrides | undefined {
  const out: Record<string, Record<string, unknown>> = {};
  for (const type of ENTITY_TYPES) {
    for (const field of ["max", "bytes"] as const) {
      const value = env[entityBudgetVariable(type, field)]?.trim();
      if (value === undefined || value === "") continue;
      out[type] = { ...out[type], [field]: /^\d{1,16}$/.test(value) ? Number(value) : value };
    }
  }
  return Object.keys(out).length > 0 ? (out as EntityBudgetOverrides) : undefined;
}

/**
 * Validates per-type settings: an object whose keys are entity types, each holding `max` (an
 * integer from 1 to 1,000,000,000) and/or `bytes` (1 to 10^15).
 *
 * @throws VollyError VOLLY_E_USAGE naming the variable, or the unknown entity type
 */
export function checkEntityBudgets(value: unknown): EntityBudgetOverrides {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new VollyError("VOLLY_E_USAGE", "The per-entity-type rate limits must be an object.", {});
  }
  const out: EntityBudgetOverrides = {};
  for (const [type, budget] of Object.entries(value)) {
    if (!(ENTITY_TYPES as readonly string[]).includes(type)) {
      throw new VollyError(
        "VOLLY_E_USAGE",
        `Rate limits are set per entity type: ${ENTITY_TYPES.join(", ")}.`,
        { entityType: type },
      );
    }
    const fields = (typeof budget === "object" && budget !== null ? budget : {}) as Record<string, unknown>;
    const checked: Partial<EntityBudget> = {};
    for (const field of ["max", "bytes"] as const) {
      const n = fields[field];
      if (n === undefined) continue;
      const name = entityBudgetVariable(type as EntityType, field);
      if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAXIMA[field]) {
        throw new VollyError("VOLLY_E_USAGE", `${name} must be an integer from 1 to ${MAXIMA[field]}.`, {
          [name]: n,
        });
      }
      checked[field] = n;
    }
    out[type as EntityType] = checked;
  }
  return out;
}

/**
 * The budget of every entity type: per field, the type's own setting (VOLLY_RATE_LIMIT_<TYPE>_MAX /
 * _BYTES), else the all-accounts setting (VOLLY_RATE_LIMIT_ACCOUNT_MAX / _BYTES, so a configuration
 * written before budgets were per type keeps its meaning), else {@link DEFAULT_ENTITY_BUDGETS}.
 *
 * @param limits `accountMax` and `accountBytesMax` (all types) and `entityTypes` (per type)
 */
export function entityBudgets(limits: {
  accountMax?: number | undefined;
  accountBytesMax?: number | undefined;
  entityTypes?: EntityBudgetOverrides | undefined;
}): EntityBudgets {
  const out = {} as EntityBudgets;
  for (const type of ENTITY_TYPES) {
    const own = limits.entityTypes?.[type];
    out[type] = {
      max: own?.max ?? limits.accountMax ?? DEFAULT_ENTITY_BUDGETS[type].max,
      bytes: own?.bytes ?? limits.accountBytesMax ?? DEFAULT_ENTITY_BUDGETS[type].bytes,
    };
  }
  return out;
}

/**
 * The budget of `type`; an entity type this server does not know (a row written by a newer
 * version) gets the human budget.
 */
export function budgetOf(budgets: EntityBudgets, type: string): EntityBudget {
  return budgets[type as EntityType] ?? budgets.human;
}
