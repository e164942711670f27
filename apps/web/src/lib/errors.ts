import { TRPCClientError } from "@trpc/client";

const CLIENT_ERRORS = new Set([
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "PRECONDITION_FAILED",
  "TOO_MANY_REQUESTS",
  "PARSE_ERROR",
  "METHOD_NOT_SUPPORTED",
  "PAYLOAD_TOO_LARGE",
  "UNPROCESSABLE_CONTENT",
]);

/** The tRPC error code ("FORBIDDEN", …) of an error from a procedure call, if it has one. */
export function errorCode(error: unknown): string | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const code = (error.data as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** True when the server answered and refused: retrying the same request will not help. */
export function isClientError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && CLIENT_ERRORS.has(code);
}

export const SERVER_UNREACHABLE =
  "The server did not answer. Check that restic-manager is running and reachable, then try again.";

/** A sentence for the operator: the server's own message, or what to do when there is none. */
export function describeError(error: unknown): string {
  if (error instanceof TRPCClientError) {
    // No error shape means the request never reached tRPC: network down, proxy error page…
    if (!error.data) return SERVER_UNREACHABLE;
    return readableMessage(error.message);
  }
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong. Try again.";
}

/** Input validation errors arrive as a JSON list of issues; turn them into sentences. */
function readableMessage(message: string): string {
  if (!message.startsWith("[")) return message;
  try {
    const issues = JSON.parse(message) as Array<{ message?: unknown; path?: unknown }>;
    const sentences = issues.map((issue) => (typeof issue.message === "string" ? issue.message : "")).filter(Boolean);
    return sentences.length ? sentences.join(" ") : message;
  } catch {
    return message;
  }
}
