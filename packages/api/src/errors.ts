import { type DomainErrorCode, isDomainError } from "@restic-manager/core";
import { TRPCError } from "@trpc/server";

const CODES: Record<DomainErrorCode, TRPCError["code"]> = {
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  PRECONDITION_FAILED: "PRECONDITION_FAILED",
};

/** Turns a service's DomainError into the tRPC error the client sees; null for anything else. */
export function toTRPCError(e: unknown): { error: TRPCError; retryAfterSeconds?: number | undefined } | null {
  if (!isDomainError(e)) return null;
  return {
    error: new TRPCError({ code: CODES[e.code], message: e.message }),
    retryAfterSeconds: e.retryAfterSeconds,
  };
}
