import { DISPATCH_EVENTS, matches } from "@volly/protocol";
import { type BusMessage, PRESENCE_REFRESH_MAX_VIEWS } from "./bus.js";

/** Longest string field a bus message may carry (ids, handles). */
const MAX_STRING = 256;

type Fields = Record<string, unknown>;

const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= MAX_STRING;
const isSeq = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const oneOf =
  <T extends string>(...values: T[]) =>
  (v: unknown): v is T =>
    typeof v === "string" && (values as string[]).includes(v);

/** A presence refresh's views: 1 to 500 objects of exactly accountId, handle and a non-offline status. */
const isViewList = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.length > 0 &&
  v.length <= PRESENCE_REFRESH_MAX_VIEWS &&
  v.every((view: unknown) => {
    if (typeof view !== "object" || view === null || Array.isArray(view)) return false;
    const fields = view as Fields;
    return (
      Object.keys(fields).length === 3 &&
      isText(fields.accountId) &&
      isText(fields.handle) &&
      (fields.status === "online" || fields.status === "away")
    );
  });

/** The fields each message type must have, and their checks; no other fields are allowed. */
const SHAPES: Record<BusMessage["type"], Record<string, (v: unknown) => boolean>> = {
  "group-appended": {
    groupId: isText,
    seq: isSeq,
    kind: oneOf("application", "commit", "departure"),
  },
  welcome: { deviceId: isText, welcomeId: isText, groupId: isText },
  "group-joined": { deviceId: isText, groupId: isText, joinedSeq: isSeq },
  presence: {
    nodeId: isText,
    accountId: isText,
    handle: isText,
    status: oneOf("online", "away", "offline"),
  },
  "presence-refresh": { nodeId: isText, views: isViewList },
  typing: { groupId: isText, accountId: isText, handle: isText, deviceId: isText, at: isSeq },
  "device-link-claimed": {
    deviceId: isText,
    linkId: isText,
    signaturePublicKey: isText,
    name: isText,
    proof: isText,
  },
  "device-revoked": { deviceId: isText },
};

/** True when `entry` is a valid GROUP_MESSAGE payload of the application entry a notification announces. */
function isEntryOf(fields: Fields, entry: unknown): boolean {
  const schema = DISPATCH_EVENTS.GROUP_MESSAGE;
  if (!matches(schema, entry)) return false;
  // The dispatch schema tolerates extra fields; an entry relayed to clients must not carry any.
  if (!Object.keys(entry).every((key) => Object.hasOwn(schema.properties, key))) return false;
  return (
    fields.kind === "application" &&
    entry.kind === "application" &&
    entry.groupId === fields.groupId &&
    entry.seq === fields.seq
  );
}

/**
 * Parses and validates a bus message received from another process (Redis pub/sub). Anything that
 * is not JSON, not an object, of an unknown type, missing a field, carrying a field of the wrong
 * type or an extra field is rejected, so a bad publisher cannot make a gateway dispatch garbage.
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
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const fields = value as Fields;
  const type = fields.type;
  if (typeof type !== "string" || !Object.hasOwn(SHAPES, type)) return undefined;
  const shape = SHAPES[type as BusMessage["type"]];
  let keys = Object.keys(fields).length;
  if (type === "group-appended" && fields.entry !== undefined) {
    if (!isEntryOf(fields, fields.entry)) return undefined;
    keys--;
  }
  if (keys !== Object.keys(shape).length + 1) return undefined;
  for (const [key, check] of Object.entries(shape)) {
    if (!check(fields[key])) return undefined;
  }
  return value as BusMessage;
}
