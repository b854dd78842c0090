// @ts-check
import { homedir } from "node:os";
import { join } from "node:path";
import { Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

/** The environment the agent reads (validated before anything starts). */
const Env = Type.Object({
  VOLLY_PROFILE: Type.Optional(Type.String({ minLength: 1 })),
  VOLLY_PIN: Type.String({ pattern: "^[0-9]{6}$" }),
  VOLLY_SERVER: Type.Optional(Type.String({ pattern: "^https?://" })),
  VOLLY_HANDLE: Type.Optional(Type.String({ pattern: "^[a-z0-9_.-]{3,32}$" })),
  OPENAI_BASE_URL: Type.String({ pattern: "^https?://" }),
  OPENAI_MODEL: Type.Optional(Type.String({ minLength: 1 })),
  OPENAI_API_KEY: Type.Optional(Type.String()),
});

/**
 * @typedef {object} AgentConfig
 * @property {import("@volly/bot").BotOptions} bot where the agent's profile is and how to open it
 * @property {{ baseUrl: string, model: string, apiKey?: string }} llm the chat-completions endpoint
 */

/**
 * Reads the agent's configuration from environment variables: VOLLY_PROFILE (profile directory,
 * default ~/.volly-summary-agent), VOLLY_PIN (6 digits; seals the profile), VOLLY_SERVER and
 * VOLLY_HANDLE (only for the first start, which creates the agent account), OPENAI_BASE_URL (e.g.
 * https://api.openai.com/v1 or http://127.0.0.1:11434/v1), OPENAI_MODEL (default gpt-4o-mini),
 * OPENAI_API_KEY (sent as a Bearer token when set).
 *
 * @param {Record<string, string | undefined>} env the process environment
 * @returns {AgentConfig}
 * @throws Error naming the first variable that is missing or malformed
 */
export function readConfig(env) {
  const vars = Object.fromEntries(Object.keys(Env.properties).flatMap((k) => (env[k] ? [[k, env[k]]] : [])));
  const problem = Value.Errors(Env, vars).First();
  if (problem) throw new Error(`environment ${problem.path.slice(1)}: ${problem.message}`);
  const e = /** @type {import("@sinclair/typebox").Static<typeof Env>} */ (vars);
  return {
    bot: {
      dir: e.VOLLY_PROFILE ?? join(homedir(), ".volly-summary-agent"),
      secret: e.VOLLY_PIN,
      ...(e.VOLLY_SERVER ? { server: e.VOLLY_SERVER } : {}),
      ...(e.VOLLY_HANDLE ? { handle: e.VOLLY_HANDLE } : {}),
      type: "agent",
      displayName: "Summary agent",
    },
    llm: {
      baseUrl: e.OPENAI_BASE_URL.replace(/\/+$/, ""),
      model: e.OPENAI_MODEL ?? "gpt-4o-mini",
      ...(e.OPENAI_API_KEY ? { apiKey: e.OPENAI_API_KEY } : {}),
    },
  };
}
