import { currentStatusText, type PresenceEvent } from "@volly/protocol";

/** What a device says about its user (gateway op PRESENCE_UPDATE): in use, or idle. */
export type DeviceActivity = "online" | "idle";

/** The status an account chose for all its devices (stored; the latest `setAt` wins). */
export interface ChosenStatus {
  status: "online" | "idle" | "dnd" | "invisible";
  text?: string;
  until?: number;
  /** When it was set (ms); 0 for the default (never set). */
  setAt: number;
}

/** The status of an account that never chose one. */
export const DEFAULT_CHOSEN: ChosenStatus = { status: "online", setAt: 0 };

/** The later of two chosen statuses (by `setAt`; `a` on a tie). */
export function laterChosen(
  a: ChosenStatus | undefined,
  b: ChosenStatus | undefined,
): ChosenStatus | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.setAt > a.setAt ? b : a;
}

/**
 * An account's full presence: offline when no device is connected (`activity` undefined); else the
 * chosen status — `online` shown as "idle" when every connected device is idle — with the custom
 * text while it has not expired at `now`. Others see it through {@link peerPresence}.
 */
export function fullPresence(
  account: { accountId: string; handle: string },
  activity: DeviceActivity | undefined,
  chosen: ChosenStatus,
  now: number,
): PresenceEvent {
  const base = { accountId: account.accountId, handle: account.handle };
  if (activity === undefined) return { ...base, status: "offline" };
  const status = chosen.status === "online" ? activity : chosen.status;
  const text = currentStatusText(chosen, now);
  if (text === undefined) return { ...base, status };
  return { ...base, status, text, ...(chosen.until !== undefined ? { until: chosen.until } : {}) };
}

/** What everyone but the account sees of its {@link fullPresence}: invisible is offline, without text. */
export function peerPresence(self: PresenceEvent): PresenceEvent {
  if (self.status !== "invisible") return self;
  return { accountId: self.accountId, handle: self.handle, status: "offline" };
}

/**
 * What the account's own devices are told about it: the status it chose (invisible included) with
 * the custom text while current — or undefined when it never chose one (nothing to tell: "online").
 */
export function ownPresence(
  account: { accountId: string; handle: string },
  chosen: ChosenStatus,
  now: number,
): PresenceEvent | undefined {
  if (chosen.setAt === 0) return undefined;
  return fullPresence(account, "online", chosen, now);
}
