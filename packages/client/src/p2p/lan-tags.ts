import { exportSecret } from "@volly/crypto";
import { utf8 } from "@volly/protocol";
import type { ClientContext } from "../shared/client-context.js";

/** The MLS exporter label of LAN discovery tags (RFC 9420 §8.5). */
export const LAN_TAG_EXPORTER_LABEL = "volly p2p lan tag";
/** How many conversations a device announces at most (the most recently created). */
export const MAX_LAN_TAGS = 32;

/**
 * The LAN discovery tag of each of this device's conversations (not its self conversation, not one
 * it left): 8 bytes of the group's MLS exporter for the current epoch (RFC 9420 §8.5), as 16 hex
 * characters. Only members in the same epoch compute the same tag, and it changes with every epoch,
 * so an announcement says nothing linkable to a person or a group to anyone else on the LAN.
 *
 * @returns tag → conversation id
 */
export async function lanTags(ctx: ClientContext): Promise<Map<string, string>> {
  const { stores, suite } = ctx;
  const convs = (await stores.conversations.list())
    .map(([, c]) => c)
    .filter((c) => !c.self && !c.left)
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, MAX_LAN_TAGS);
  const tags = new Map<string, string>();
  for (const conv of convs) {
    try {
      const group = await stores.groupStates.load(conv.id);
      const bytes = await exportSecret(suite, group, LAN_TAG_EXPORTER_LABEL, utf8(""), 8);
      tags.set(Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""), conv.id);
    } catch {
      // no usable group state: not announced
    }
  }
  return tags;
}
