// @ts-check

/** The longest summary sent (characters); a longer answer is cut. */
const MAX_SUMMARY_CHARS = 4_000;

/** What the model is told to do. */
const SYSTEM_PROMPT =
  "You summarise a chat conversation for its members. Answer with at most five short bullet points: " +
  "decisions, open questions and who owes what, naming people by their @handle. No preamble.";

/**
 * Whether `text` asks this agent for a summary: it mentions `@handle` and a word starting with
 * "summar" (summarise, summarize, summary), in any case — e.g. "@summary-agent summarise please".
 *
 * @param {string} text the message text
 * @param {string} handle the agent's handle, without `@`
 */
export function asksForSummary(text, handle) {
  const escaped = handle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\w@])@${escaped}(?![\\w.-])`, "i").test(text) && /\bsummar/i.test(text);
}

/**
 * The chat-completions prompt for the messages before a request: a system prompt and one user
 * message holding the transcript, one line per message: `[ISO time] @handle: text`. The agent's own
 * messages (earlier summaries) and messages without text are left out.
 *
 * @param {import("@volly/bot").MessageEvent[]} history the conversation's recent messages, oldest first
 * @returns {Array<{ role: "system" | "user", content: string }> | undefined} undefined when there is
 *   nothing to summarise
 */
export function summaryPrompt(history) {
  const lines = history
    .filter((m) => m.direction === "in" && m.text.trim() !== "")
    .map(
      (m) => `[${new Date(m.sentAt).toISOString()}] @${m.from.handle}: ${m.text.replace(/\s*\n\s*/g, " ")}`,
    );
  if (lines.length === 0) return undefined;
  return [
    { role: "system", content: SYSTEM_PROMPT },
    { role: "user", content: `Summarise this conversation:\n${lines.join("\n")}` },
  ];
}

/**
 * The model's answer as a message: trimmed and cut to 4,000 characters.
 *
 * @param {string} text what the model answered
 */
export function summaryText(text) {
  return text.length > MAX_SUMMARY_CHARS ? `${text.slice(0, MAX_SUMMARY_CHARS - 1)}…` : text;
}
