/**
 * Errors a service raises on purpose. The API layer maps each code to an HTTP/tRPC status
 * once (packages/api/src/errors.ts); the message is shown to the operator, so it says what
 * happened and what to do next, and never contains secret material.
 */
export type DomainErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "RATE_LIMITED"
  | "PRECONDITION_FAILED";

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  /** Seconds until a rate-limited caller may try again. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: DomainErrorCode, message: string, options?: { retryAfterSeconds?: number }) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
