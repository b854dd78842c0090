/**
 * An error's name, message, code and stack for logging — never the objects it may carry (request
 * bodies, frames, SQL parameters), so nothing a client sent can reach the logs this way.
 */
export function describeError(error: unknown): {
  name: string;
  message: string;
  code?: string;
  stack?: string;
} {
  if (!(error instanceof Error)) return { name: "unknown", message: String(error) };
  const out: { name: string; message: string; code?: string; stack?: string } = {
    name: error.name,
    message: error.message,
  };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") out.code = code;
  if (error.stack !== undefined) out.stack = error.stack;
  return out;
}
