// @ts-check
import { Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

/** How long one completion may take (ms) before the request is aborted. */
const TIMEOUT_MS = 60_000;

/**
 * The part of an OpenAI-compatible chat-completions response the agent reads (OpenAI API reference,
 * "The chat completion object"): `choices[0].message.content`. Other fields are allowed and ignored.
 */
const ChatCompletion = Type.Object({
  choices: Type.Array(
    Type.Object({ message: Type.Object({ content: Type.Union([Type.String(), Type.Null()]) }) }),
    { minItems: 1 },
  ),
});

/**
 * Asks an OpenAI-compatible endpoint for one chat completion: `POST {baseUrl}/chat/completions` with
 * `{model, messages}` and, when an API key is set, `Authorization: Bearer KEY`. Plain fetch, no SDK.
 *
 * @param {{ baseUrl: string, model: string, apiKey?: string }} llm the endpoint
 * @param {Array<{ role: "system" | "user", content: string }>} messages the prompt
 * @returns {Promise<string>} the assistant's text, trimmed
 * @throws Error when the endpoint cannot be reached, answers a non-2xx status, takes longer than
 *   60 s, or answers something that is not a chat completion with text
 */
export async function complete(llm, messages) {
  const response = await fetch(`${llm.baseUrl}/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(llm.apiKey ? { authorization: `Bearer ${llm.apiKey}` } : {}),
    },
    body: JSON.stringify({ model: llm.model, messages }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`the model endpoint answered HTTP ${response.status}`);
  /** @type {unknown} */
  const body = await response.json().catch(() => undefined);
  if (!Value.Check(ChatCompletion, body))
    throw new Error("the model endpoint's answer is no chat completion");
  const text = body.choices[0]?.message.content?.trim();
  if (!text) throw new Error("the model answered no text");
  return text;
}
