import type { Static, TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { Value } from "@sinclair/typebox/value";
import { type ErrorCode, VollyError } from "./errors.js";

/** A validator for one schema: compiled where the platform allows code generation, else interpreted. */
interface Checker {
  check(value: unknown): boolean;
  errors(value: unknown): Iterable<{ path: string; message: string }>;
}

const cache = new WeakMap<TSchema, Checker>();
/** False once code generation was refused (e.g. a browser page whose CSP forbids 'unsafe-eval'). */
let canCompile = true;

function checker(schema: TSchema): Checker {
  let c = cache.get(schema);
  if (c) return c;
  if (canCompile) {
    try {
      const compiled = TypeCompiler.Compile(schema);
      c = { check: (v) => compiled.Check(v), errors: (v) => compiled.Errors(v) };
    } catch {
      canCompile = false;
    }
  }
  c ??= { check: (v) => Value.Check(schema, v), errors: (v) => Value.Errors(schema, v) };
  cache.set(schema, c);
  return c;
}

/**
 * True when `value` matches `schema`. Validators are compiled and cached per schema; where code
 * generation is forbidden (a strict Content-Security-Policy) the same checks run interpreted.
 */
export function matches<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return checker(schema).check(value);
}

/**
 * Returns `value` typed as the schema's static type, or throws a {@link VollyError} with `code`
 * (default VOLLY_E_BAD_REQUEST) whose details list up to 5 offending paths.
 */
export function parse<T extends TSchema>(
  schema: T,
  value: unknown,
  code: ErrorCode = "VOLLY_E_BAD_REQUEST",
): Static<T> {
  const c = checker(schema);
  if (c.check(value)) return value as Static<T>;
  const errors = [...c.errors(value)].slice(0, 5).map((e) => ({ path: e.path || "/", message: e.message }));
  const first = errors[0];
  throw new VollyError(code, first ? `Invalid ${first.path}: ${first.message}` : undefined, { errors });
}
