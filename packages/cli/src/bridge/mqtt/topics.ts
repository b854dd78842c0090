import { ID_PATTERN, VollyError } from "@volly/protocol";

/**
 * The bridge's topic layout under a prefix (default `volly`):
 * - `PREFIX/CONVERSATION_ID/send`: devices publish here; the bridge sends each message into the
 *   conversation (subscribed as `PREFIX/+/send`, QoS 1);
 * - `PREFIX/CONVERSATION_ID/messages`: the bridge publishes every message received in the
 *   conversation (JSON, QoS 1);
 * - `PREFIX/CONVERSATION_ID/errors`: the bridge publishes why a `send` payload was refused (JSON, QoS 1);
 * - `PREFIX/status`: `online` (retained) while the bridge runs; the broker publishes the Will
 *   `offline` (retained) when the bridge goes away.
 */
export interface Topics {
  readonly prefix: string;
  /** The subscription filter for every conversation's `send` topic. */
  readonly sendFilter: string;
  readonly status: string;
  /** The topic received messages of `conversationId` are published on. */
  messages(conversationId: string): string;
  /**
   * The conversation id of a `PREFIX/ID/send` topic. Throws VOLLY_E_BAD_REQUEST when the topic is
   * not of that form or ID is no conversation id (22 base64url characters).
   */
  conversationOf(topic: string): string;
  /** Where refusals of a payload published on `sendTopic` go: the same level, `errors`. */
  errorsFor(sendTopic: string): string;
}

const idPattern = new RegExp(ID_PATTERN);

/**
 * Checks a topic prefix: 1–200 characters of one or more topic levels, no wildcards (`+`, `#`),
 * no NUL, no leading or trailing `/`, no empty level. Throws VOLLY_E_USAGE.
 */
export function checkTopicPrefix(prefix: string): string {
  const levels = prefix.split("/");
  if (
    prefix.length === 0 ||
    prefix.length > 200 ||
    /[+#]/.test(prefix) ||
    prefix.includes("\u0000") ||
    levels.some((l) => l.length === 0)
  ) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      "--topic-prefix must be 1-200 characters of topic levels without +, #, empty levels or a leading/trailing /.",
    );
  }
  return prefix;
}

/** The topic layout under `prefix` (checked with {@link checkTopicPrefix}). */
export function topicsUnder(prefix: string): Topics {
  checkTopicPrefix(prefix);
  return {
    prefix,
    sendFilter: `${prefix}/+/send`,
    status: `${prefix}/status`,
    messages: (conversationId) => `${prefix}/${conversationId}/messages`,
    conversationOf(topic) {
      const rest = topic.startsWith(`${prefix}/`) ? topic.slice(prefix.length + 1) : "";
      const [id, leaf, ...more] = rest.split("/");
      if (leaf !== "send" || more.length > 0 || id === undefined || !idPattern.test(id)) {
        throw new VollyError(
          "VOLLY_E_BAD_REQUEST",
          `Not a ${prefix}/CONVERSATION_ID/send topic with a 22-character conversation id: ${topic}`,
        );
      }
      return id;
    },
    errorsFor: (sendTopic) => `${sendTopic.replace(/\/send$/, "")}/errors`,
  };
}
