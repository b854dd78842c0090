import type { EntityType } from "@volly/protocol";

/** How the UI marks an account that is not a person: the badge's text and what a screen reader says. */
export interface EntityMark {
  /** The badge's visible text ("BOT"). */
  text: string;
  /** The badge's accessible name ("bot account"). */
  label: string;
}

/** The mark of each entity type; people (`human`) carry none. */
const MARKS: { readonly [T in EntityType]: EntityMark | undefined } = {
  human: undefined,
  bot: { text: "BOT", label: "bot account" },
  agent: { text: "AGENT", label: "AI agent account" },
  service: { text: "SERVICE", label: "service account" },
  device: { text: "DEVICE", label: "device account" },
};

/**
 * The badge for an account of `type`, or undefined for a person or an account whose type is not
 * known (treated as a person, as the SDK's `entityTypeOf` does).
 */
export function entityMark(type: EntityType | undefined): EntityMark | undefined {
  return type === undefined ? undefined : MARKS[type];
}
