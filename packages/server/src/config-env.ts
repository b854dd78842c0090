import { VollyError } from "@volly/protocol";

/** A configuration error: VOLLY_E_USAGE with `message`, naming the setting in `details`. */
export function usage(message: string, details: Record<string, unknown> = {}): VollyError {
  return new VollyError("VOLLY_E_USAGE", message, details);
}

/**
 * A reader of environment variables: the value of `name`, trimmed, or undefined when it is unset or
 * blank (an empty variable means "use the default").
 */
export function envReader(env: Record<string, string | undefined>): (name: string) => string | undefined {
  return (name) => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
}
