import { type Database, enrollmentTokens, hostCredentials, hosts, newId, sourceGroups } from "@restic-manager/db";
import type { EnrollErrorCode, EnrollRequest } from "@restic-manager/protocol";
import { and, desc, eq, gt, isNull } from "drizzle-orm";
import { type Actor, writeAudit } from "./audit.js";
import { DomainError } from "./errors.js";
import type { EventBus } from "./events.js";
import { credentialSlot, type RepositoryCredentials } from "./hosts.js";
import type { SecretBox, SecretSlot } from "./secrets.js";
import { generateToken, hashToken } from "./tokens.js";

export const ENROLLMENT_TOKEN_TTL_MS = 60 * 60 * 1000;
export const DEFAULT_SOURCE_GROUP = "default";

const tokenSlot = (tokenId: string): SecretSlot => ({
  table: "enrollment_tokens",
  column: "credentials_enc",
  rowId: tokenId,
});

/** A refusal the enrolling agent prints verbatim; `code` is the protocol's enrol error code. */
export class EnrollmentError extends Error {
  constructor(
    readonly code: EnrollErrorCode,
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = "EnrollmentError";
  }
}

export interface CreateEnrollmentInput {
  hostname: string;
  repository: RepositoryCredentials;
}

export class EnrollmentService {
  constructor(
    private readonly db: Database,
    private readonly secrets: SecretBox,
    private readonly events: EventBus,
    private readonly now: () => number = Date.now,
  ) {}

  /** Mints a one-time token carrying the encrypted repository credentials. */
  async createToken(input: CreateEnrollmentInput, actor: Actor) {
    const id = newId();
    const token = generateToken("rme", 24);
    const expiresAt = new Date(this.now() + ENROLLMENT_TOKEN_TTL_MS);
    const credentialsEnc = this.secrets.encrypt(JSON.stringify(input.repository), tokenSlot(id));
    await this.db.transaction(async (tx) => {
      await tx.insert(enrollmentTokens).values({
        id,
        tokenHash: hashToken(token),
        hostname: input.hostname,
        credentialsEnc,
        createdBy: actor.kind === "user" ? actor.id : null,
        createdAt: new Date(this.now()),
        expiresAt,
      });
      await writeAudit(tx, actor, {
        action: "enrollment.create",
        target: { type: "enrollment_token", id },
        summary: `created an enrolment token for "${input.hostname}" (repository ${input.repository.url}), valid 1 h`,
      });
    });
    return { id, token, expiresAt };
  }

  /** What the "awaiting agent" panel shows. */
  async status(tokenId: string) {
    const [row] = await this.db
      .select({
        id: enrollmentTokens.id,
        hostname: enrollmentTokens.hostname,
        expiresAt: enrollmentTokens.expiresAt,
        consumedAt: enrollmentTokens.consumedAt,
        hostId: enrollmentTokens.hostId,
        hostStatus: hosts.status,
      })
      .from(enrollmentTokens)
      .leftJoin(hosts, eq(hosts.id, enrollmentTokens.hostId))
      .where(eq(enrollmentTokens.id, tokenId));
    if (!row) throw new DomainError("NOT_FOUND", "No such enrolment token.");
    return { ...row, expired: !row.consumedAt && row.expiresAt.getTime() <= this.now() };
  }

  /** Pending (unused, unexpired) tokens, newest first, without secrets. */
  pending() {
    return this.db
      .select({
        id: enrollmentTokens.id,
        hostname: enrollmentTokens.hostname,
        createdAt: enrollmentTokens.createdAt,
        expiresAt: enrollmentTokens.expiresAt,
      })
      .from(enrollmentTokens)
      .where(and(isNull(enrollmentTokens.consumedAt), gt(enrollmentTokens.expiresAt, new Date(this.now()))))
      .orderBy(desc(enrollmentTokens.createdAt));
  }

  /**
   * Exchanges a one-time token for a host and a persistent agent bearer. The token is checked
   * and consumed in the same transaction that creates the host and moves the credentials, so
   * any number of concurrent attempts with one token yield exactly one host.
   */
  async enroll(request: EnrollRequest, ip: string | null): Promise<{ hostId: string; agentToken: string }> {
    const token = request.token.trim();
    if (!token)
      throw new EnrollmentError(
        "token_empty",
        "The enrolment token is empty. Copy it from the console's Add host page.",
        400,
      );
    const agentToken = generateToken("rma");
    const hostId = newId();
    const now = new Date(this.now());
    const result = await this.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(enrollmentTokens)
        .where(eq(enrollmentTokens.tokenHash, hashToken(token)));
      if (!row) {
        throw new EnrollmentError(
          "token_invalid",
          "This enrolment token is not known to the console. Check you copied it whole, or create a new one in Add host.",
          401,
        );
      }
      if (row.consumedAt) {
        const [host] = row.hostId
          ? await tx
              .select({ revokedAt: hosts.revokedAt, name: hosts.name })
              .from(hosts)
              .where(eq(hosts.id, row.hostId))
          : [];
        if (host?.revokedAt) {
          throw new EnrollmentError(
            "host_revoked",
            `The host "${host.name}" enrolled with this token was revoked. Create a new token in Add host to enrol again.`,
            403,
          );
        }
        throw new EnrollmentError(
          "token_used",
          "This enrolment token was already used. Tokens work once; create a new one in Add host.",
          409,
        );
      }
      if (row.expiresAt.getTime() <= now.getTime()) {
        throw new EnrollmentError(
          "token_expired",
          "This enrolment token expired (tokens are valid for 1 hour). Create a new one in Add host.",
          410,
        );
      }
      const repository = JSON.parse(
        this.secrets.decryptString(row.credentialsEnc, tokenSlot(row.id)),
      ) as RepositoryCredentials;
      await tx.insert(hosts).values({
        id: hostId,
        name: row.hostname,
        status: "offline",
        os: request.os,
        arch: request.arch,
        reportedHostname: request.hostname,
        agentVersion: request.agentVersion,
        agentTokenHash: hashToken(agentToken),
        createdAt: now,
      });
      const consumed = await tx
        .update(enrollmentTokens)
        .set({ consumedAt: now, hostId })
        .where(and(eq(enrollmentTokens.id, row.id), isNull(enrollmentTokens.consumedAt)))
        .returning({ id: enrollmentTokens.id });
      if (consumed.length !== 1) {
        throw new EnrollmentError("token_used", "This enrolment token was already used. Tokens work once.", 409);
      }
      await tx.insert(hostCredentials).values({
        hostId,
        repoUrl: repository.url,
        repoUsername: repository.username,
        passwordEnc: this.secrets.encrypt(repository.password, credentialSlot(hostId)),
        updatedAt: now,
      });
      await tx.insert(sourceGroups).values({
        id: newId(),
        hostId,
        name: DEFAULT_SOURCE_GROUP,
        includePaths: [],
        excludePatterns: [],
        updatedAt: now,
      });
      // The token row keeps no secret once it has done its job.
      await tx
        .update(enrollmentTokens)
        .set({ credentialsEnc: Buffer.alloc(0) })
        .where(eq(enrollmentTokens.id, row.id));
      const actor: Actor = { kind: "agent", id: hostId, name: request.hostname, ip };
      await writeAudit(tx, actor, {
        action: "host.enroll",
        target: { type: "host", id: hostId },
        summary: `enrolled "${row.hostname}" (reports ${request.hostname}, ${request.os}/${request.arch}, agent ${request.agentVersion})`,
      });
      return { hostId, tokenId: row.id };
    });
    this.events.emit("host.enrolled", { hostId: result.hostId, enrollmentTokenId: result.tokenId });
    return { hostId, agentToken };
  }
}
