import type { Static, TSchema } from "@sinclair/typebox";

/** The parts of a request a route validates, each against its TypeBox schema. */
export interface RouteSchemas {
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  /** Response schemas by HTTP status (e.g. `{ 201: MessageEvent }`); errors are added by the generator. */
  responses: Record<number, TSchema>;
}

/** What a handler receives: the request's parts, already validated against the route's schemas. */
export interface RouteInput<S extends RouteSchemas> {
  params: S["params"] extends TSchema ? Static<S["params"]> : undefined;
  query: S["querystring"] extends TSchema ? Static<S["querystring"]> : undefined;
  body: S["body"] extends TSchema ? Static<S["body"]> : undefined;
}

/** A handler's answer: the status (one of the route's `responses`) and the JSON body. */
export interface RouteResult {
  status: number;
  body: unknown;
}

/**
 * One JSON route of the daemon's API: the single source of its validation (daemon/http-app.ts
 * parses every part with these schemas) and of its OpenAPI 3.1 operation (daemon/openapi.ts).
 */
export interface JsonRoute<S extends RouteSchemas = RouteSchemas> {
  method: "GET" | "POST" | "DELETE" | "PUT";
  /** OpenAPI path template, e.g. `/v1/conversations/{id}/messages`. */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  /** False for the few routes that need no `Authorization: Bearer KEY`. Default true. */
  auth?: boolean;
  schemas: S;
  handler(input: RouteInput<S>): Promise<RouteResult>;
}

/** Declares a route with its handler typed from its schemas. */
export function defineRoute<S extends RouteSchemas>(route: JsonRoute<S>): JsonRoute {
  return route as unknown as JsonRoute;
}

/** Converts an OpenAPI path template (`/a/{id}`) to Fastify's (`/a/:id`). */
export function fastifyPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ":$1");
}
