/**
 * Row ↔ record conversions shared by the Kysely repositories. `Number()` on every integer column
 * keeps them dialect-agnostic (PostgreSQL drivers return `bigint` columns as strings).
 */
import type { LogKind } from "../types.js";

/** Converts an integer column value (number, bigint or numeric string) to a JS number. */
export function num(value: number | bigint | string): number {
  return Number(value);
}

/** Like {@link num}, keeping null (nullable integer columns). */
export function numOrNull(value: number | bigint | string | null): number | null {
  return value === null ? null : Number(value);
}

/** Narrows a stored `kind` column to {@link LogKind} (unknown values read as "application"). */
export function logKind(value: string): LogKind {
  return value === "commit" || value === "departure" ? value : "application";
}
