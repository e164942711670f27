import { randomBytes } from "node:crypto";
import { type DomainErrorCode, isDomainError } from "@restic-manager/core";
import { describeStorageFailure, storageFailureOf } from "@restic-manager/db";
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

/**
 * Turns a service's DomainError into the tRPC error the client sees, and a storage failure
 * (disk full, I/O error) into a 503 that says so; null for anything else.
 */
export function toTRPCError(e: unknown): { error: TRPCError; retryAfterSeconds?: number | undefined } | null {
  if (isDomainError(e)) {
    return {
      error: new TRPCError({ code: CODES[e.code], message: e.message }),
      retryAfterSeconds: e.retryAfterSeconds,
    };
  }
  const storage = storageFailureOf(e);
  if (storage) {
    return {
      error: new TRPCError({ code: "SERVICE_UNAVAILABLE", message: describeStorageFailure(storage), cause: e }),
      retryAfterSeconds: 30,
    };
  }
  return null;
}

const errorIds = new WeakMap<object, string>();

/**
 * The id that ties an answer to its line in the server log; the same for one error object
 * wherever it is asked for (the log hook and the error formatter).
 */
export function errorIdOf(error: object): string {
  let id = errorIds.get(error);
  if (!id) {
    id = randomBytes(6).toString("hex");
    errorIds.set(error, id);
  }
  return id;
}

/**
 * The message a caller may read for a server-side failure (5xx): never the error's own text,
 * which for a failed query is the SQL with its parameters. A storage failure says what is
 * wrong in words an operator can act on; anything else is generic. Both carry the error id.
 */
export function publicServerMessage(error: TRPCError): string {
  const id = errorIdOf(error);
  const storage = storageFailureOf(error.cause ?? error);
  if (storage) return `${describeStorageFailure(storage)} (error id ${id})`;
  return `Something went wrong in the console (error id ${id}). The details are in the console's log under that id.`;
}
