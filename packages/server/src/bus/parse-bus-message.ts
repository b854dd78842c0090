import { matches } from "@volly/protocol";
import { BUS_MESSAGES, type BusMessage } from "./messages.js";

/**
 * The rule across fields no schema states: a group-appended message carries an `entry` only for an
 * application message, and that entry is the announced one (same group, same seq, kind application).
 */
function isConsistent(message: BusMessage): boolean {
  if (message.type !== "group-appended" || message.entry === undefined) return true;
  const { entry } = message;
  return (
    message.kind === "application" &&
    entry.kind === "application" &&
    entry.groupId === message.groupId &&
    entry.seq === message.seq
  );
}

/**
 * Parses and validates a bus message received from another process (Redis pub/sub) against the
 * schema of its type (see `messages.ts`). Anything that is not JSON, not an object, of an unknown
 * type, missing a field, carrying a field of the wrong type or an extra field — or an entry that is
 * not the one announced — is rejected, so a bad publisher cannot make a gateway dispatch garbage.
 *
 * @param text the message as published (JSON)
 * @returns the message, or undefined when it is invalid
 */
export function parseBusMessage(text: string): BusMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || !Object.hasOwn(BUS_MESSAGES, type)) return undefined;
  const schema: (typeof BUS_MESSAGES)[BusMessage["type"]] = BUS_MESSAGES[type as BusMessage["type"]];
  if (!matches(schema, value)) return undefined;
  return isConsistent(value) ? value : undefined;
}
