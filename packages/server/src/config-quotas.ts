import { VollyError } from "@volly/protocol";
import { DEFAULT_SERVICE_LIMITS, type ServiceLimits } from "./services/service-limits.js";

/**
 * Storage quotas, the key package cap and key package claim limits (README "Configuration",
 * docs/threat-model.md "Denial of service"): the services' {@link ServiceLimits}.
 */
export type QuotaConfig = ServiceLimits;

/** Default {@link QuotaConfig}: {@link DEFAULT_SERVICE_LIMITS}. */
export const DEFAULT_QUOTAS: QuotaConfig = DEFAULT_SERVICE_LIMITS;

/** The environment variables of {@link QuotaConfig}, by field (claim limits under `claims.`). */
const VARIABLES = [
  ["accountBytes", "VOLLY_QUOTA_ACCOUNT_BYTES", 0],
  ["groupBytes", "VOLLY_QUOTA_GROUP_BYTES", 0],
  ["keyPackagesPerDevice", "VOLLY_QUOTA_KEY_PACKAGES", 1],
  ["claims.windowMs", "VOLLY_CLAIM_LIMIT_WINDOW_MS", 1],
  ["claims.perClaimer", "VOLLY_CLAIM_LIMIT_CLAIMER", 1],
  ["claims.firstContactPerClaimer", "VOLLY_CLAIM_LIMIT_FIRST_CONTACT", 1],
  ["claims.firstContactPerTarget", "VOLLY_CLAIM_LIMIT_FIRST_CONTACT_TARGET", 1],
  ["claims.oneTimePerTarget", "VOLLY_CLAIM_LIMIT_ONE_TIME", 1],
] as const;

/** The most any of these variables may be: 2^50 (exact in a JS number, far past any disk). */
const MAX = 2 ** 50;

type Field = (typeof VARIABLES)[number][0];

function get(config: QuotaConfig, field: Field): unknown {
  const [head, tail] = field.split(".") as [string, string | undefined];
  const value = (config as unknown as Record<string, unknown>)[head];
  return tail === undefined ? value : (value as Record<string, unknown> | undefined)?.[tail];
}

function set(config: Record<string, unknown>, field: Field, value: unknown): void {
  const [head, tail] = field.split(".") as [string, string | undefined];
  if (tail === undefined) config[head] = value;
  else config[head] = { ...(config[head] as object), [tail]: value };
}

/**
 * Reads VOLLY_QUOTA_ACCOUNT_BYTES, VOLLY_QUOTA_GROUP_BYTES (0: no quota), VOLLY_QUOTA_KEY_PACKAGES,
 * VOLLY_CLAIM_LIMIT_WINDOW_MS, VOLLY_CLAIM_LIMIT_CLAIMER, VOLLY_CLAIM_LIMIT_FIRST_CONTACT,
 * VOLLY_CLAIM_LIMIT_FIRST_CONTACT_TARGET and VOLLY_CLAIM_LIMIT_ONE_TIME over {@link DEFAULT_QUOTAS};
 * empty values are ignored. Values are validated by {@link checkQuotas}.
 *
 * @returns the configuration, or undefined when none of the variables is set
 */
export function quotasFromEnv(env: Record<string, string | undefined>): QuotaConfig | undefined {
  const config = structuredClone(DEFAULT_QUOTAS) as unknown as Record<string, unknown>;
  let any = false;
  for (const [field, name] of VARIABLES) {
    const value = env[name]?.trim();
    if (value === undefined || value === "") continue;
    any = true;
    set(config, field, /^\d{1,16}$/.test(value) ? Number(value) : value);
  }
  return any ? (config as unknown as QuotaConfig) : undefined;
}

/**
 * Validates a {@link QuotaConfig}: every value an integer from its minimum (0 for the byte quotas,
 * meaning none; 1 otherwise) to 2^50.
 *
 * @throws VollyError VOLLY_E_USAGE naming the variable
 */
export function checkQuotas(value: unknown): QuotaConfig {
  const config = (typeof value === "object" && value !== null ? value : {}) as QuotaConfig;
  const out: Record<string, unknown> = {};
  for (const [field, name, min] of VARIABLES) {
    const n = get(config, field);
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > MAX) {
      throw new VollyError("VOLLY_E_USAGE", `${name} must be an integer from ${min} to ${MAX}.`, {
        [name]: n === undefined ? null : n,
      });
    }
    set(out, field, n);
  }
  return out as unknown as QuotaConfig;
}
