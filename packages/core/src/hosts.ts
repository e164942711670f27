import { type Database, hostCredentials, hosts, idFloor, jobs } from "@restic-manager/db";
import type { ResticInfo } from "@restic-manager/protocol";
import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import type { AgentLink } from "./agent-link.js";
import { type Actor, writeAudit } from "./audit.js";
import { DomainError } from "./errors.js";
import type { EventBus } from "./events.js";
import { HOST_SUMMARY_COLUMNS, type HostListQuery, hostOptions, listHosts } from "./host-list.js";
import type { SecretBox, SecretSlot } from "./secrets.js";
import { hashToken } from "./tokens.js";

export * from "./host-list.js";

export interface RepositoryCredentials {
  url: string;
  username: string | null;
  password: string;
}

export const credentialSlot = (hostId: string): SecretSlot => ({
  table: "host_credentials",
  column: "password_enc",
  rowId: hostId,
});

export const adminCredentialSlot = (hostId: string): SecretSlot => ({
  table: "host_credentials",
  column: "admin_password_enc",
  rowId: hostId,
});

export interface AgentHello {
  timezone?: string | undefined;
  protocolVersion: number;
  agentVersion: string;
  hostname: string;
  os: string;
  arch: string;
  restic: ResticInfo;
  /** Versions the agent holds (protocol `hello.held`); absent from old agents. */
  held?: { configVersion: number | null; scheduleVersion: number | null } | undefined;
}

/** The columns the console shows for a host; never the bearer hash. */
const HOST_COLUMNS = {
  ...HOST_SUMMARY_COLUMNS,
  protocolVersion: hosts.protocolVersion,
  createdAt: hosts.createdAt,
  revokedAt: hosts.revokedAt,
  configVersion: hosts.configVersion,
  configAckedVersion: hosts.configAckedVersion,
  timezone: hosts.timezone,
  scheduleVersion: hosts.scheduleVersion,
  scheduleAckedVersion: hosts.scheduleAckedVersion,
  scheduleAckError: hosts.scheduleAckError,
};

/** Zones seen in hellos: a fleet has a handful, and building a DateTimeFormat per hello is slow. */
const knownZones = new Map<string, boolean>();
const isTimeZone = (tz: string) => {
  let ok = knownZones.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      ok = true;
    } catch {
      ok = false;
    }
    if (knownZones.size < 1_000) knownZones.set(tz, ok);
  }
  return ok;
};

const HEARTBEAT_FLUSH_MS = 1000;

export class HostService {
  readonly #beats = new Set<string>();
  #beatTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly secrets: SecretBox,
    private readonly events: EventBus,
    /** Which hosts have an agent connected right now. */
    private readonly link: Pick<AgentLink, "isConnected">,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * One page of the host list (search, status filter, name or attention order; host-list.ts),
   * each row with the schedule that covers all its groups, looked up for the page's rows only.
   */
  list(query: HostListQuery = {}) {
    return listHosts(this.db, query);
  }

  /** Id and name of up to `limit` hosts by name, for pickers. */
  options(query: { search?: string | undefined; limit?: number | undefined } = {}) {
    return hostOptions(this.db, query);
  }

  async get(hostId: string) {
    const [row] = await this.db.select(HOST_COLUMNS).from(hosts).where(eq(hosts.id, hostId));
    if (!row) throw new DomainError("NOT_FOUND", "No such host. It may have been deleted.");
    return row;
  }

  /** Resolves an agent bearer to its host, by SHA-256 (never a slow hash per connection). */
  async authenticateAgent(bearer: string): Promise<{ id: string; name: string } | null> {
    const [row] = await this.db
      .select({ id: hosts.id, name: hosts.name, revokedAt: hosts.revokedAt })
      .from(hosts)
      .where(eq(hosts.agentTokenHash, hashToken(bearer)));
    return row && !row.revokedAt ? { id: row.id, name: row.name } : null;
  }

  /**
   * Marks the host online with what its agent reported, and says whether the agent already holds
   * the current repository config and schedule set (it reported their versions and the last
   * acknowledgement was of those versions, without error), so a reconnect resends only changes.
   */
  async recordHello(hostId: string, hello: AgentHello): Promise<{ configCurrent: boolean; schedulesCurrent: boolean }> {
    const [row] = await this.db
      .update(hosts)
      .set({
        status: "online",
        lastSeenAt: new Date(this.now()),
        protocolVersion: hello.protocolVersion,
        agentVersion: hello.agentVersion,
        reportedHostname: hello.hostname,
        os: hello.os,
        arch: hello.arch,
        resticVersion: hello.restic.version,
        resticError: hello.restic.error,
        ...(hello.timezone && isTimeZone(hello.timezone) ? { timezone: hello.timezone } : {}),
      })
      .where(and(eq(hosts.id, hostId), sql`${hosts.revokedAt} IS NULL`))
      .returning({
        configVersion: hosts.configVersion,
        configAckedVersion: hosts.configAckedVersion,
        scheduleVersion: hosts.scheduleVersion,
        scheduleAckedVersion: hosts.scheduleAckedVersion,
        scheduleAckError: hosts.scheduleAckError,
      });
    this.events.emit("host.status", { hostId, status: "online" });
    const held = hello.held;
    return {
      configCurrent: !!row && held?.configVersion === row.configVersion && row.configAckedVersion === row.configVersion,
      schedulesCurrent:
        !!row &&
        held?.scheduleVersion === row.scheduleVersion &&
        row.scheduleAckedVersion === row.scheduleVersion &&
        row.scheduleAckError === null,
    };
  }

  /**
   * Heartbeats are coalesced: hosts that beat within the last second are written in one UPDATE
   * per 500 ids instead of one statement each (10k agents at 30 s are 333 writes a second, most
   * of an idle console's CPU). last_seen_at is at most a second late; the offline sweeper works
   * in minutes.
   */
  async recordHeartbeat(hostId: string): Promise<void> {
    this.#beats.add(hostId);
    if (!this.#beatTimer) {
      this.#beatTimer = setTimeout(() => {
        // A failed write (the database closing at shutdown) only loses a last-seen time.
        this.flushHeartbeats().catch(() => undefined);
      }, HEARTBEAT_FLUSH_MS);
      this.#beatTimer.unref();
    }
  }

  /** Writes the coalesced heartbeats now (the timer calls it; tests may too). */
  async flushHeartbeats(): Promise<void> {
    if (this.#beatTimer) clearTimeout(this.#beatTimer);
    this.#beatTimer = null;
    const ids = [...this.#beats];
    this.#beats.clear();
    const at = new Date(this.now());
    for (let i = 0; i < ids.length; i += 500) {
      // A beat that arrived just before its agent disconnected must not mark the host online again.
      const live = ids.slice(i, i + 500).filter((id) => this.link.isConnected(id));
      if (live.length === 0) continue;
      await this.db
        .update(hosts)
        .set({ lastSeenAt: at, status: "online" })
        .where(and(inArray(hosts.id, live), sql`${hosts.revokedAt} IS NULL`));
    }
  }

  async recordDisconnect(hostId: string): Promise<void> {
    this.#beats.delete(hostId);
    await this.db
      .update(hosts)
      .set({ status: "offline" })
      .where(and(eq(hosts.id, hostId), eq(hosts.status, "online")));
    this.events.emit("host.status", { hostId, status: "offline" });
  }

  async recordConfigAck(hostId: string, version: number): Promise<void> {
    await this.db.update(hosts).set({ configAckedVersion: version }).where(eq(hosts.id, hostId));
  }

  /** Marks hosts offline that have been silent for `silentMs`. Returns the hosts it changed. */
  async sweepOffline(silentMs: number): Promise<string[]> {
    const cutoff = new Date(this.now() - silentMs);
    const changed = await this.db
      .update(hosts)
      .set({ status: "offline" })
      .where(and(eq(hosts.status, "online"), lt(hosts.lastSeenAt, cutoff)))
      .returning({ id: hosts.id });
    for (const { id } of changed) this.events.emit("host.status", { hostId: id, status: "offline" });
    return changed.map((r) => r.id);
  }

  /** At start no socket exists yet: whoever was online reconnects and says hello again. */
  async markAllOffline(): Promise<void> {
    await this.db.update(hosts).set({ status: "offline" }).where(eq(hosts.status, "online"));
  }

  /** The repository credentials for config.update. Only the gateway calls this. */
  async credentialsFor(hostId: string): Promise<{ version: number; repository: RepositoryCredentials } | null> {
    const [row] = await this.db
      .select({
        url: hostCredentials.repoUrl,
        username: hostCredentials.repoUsername,
        passwordEnc: hostCredentials.passwordEnc,
        version: hosts.configVersion,
      })
      .from(hostCredentials)
      .innerJoin(hosts, eq(hosts.id, hostCredentials.hostId))
      .where(eq(hostCredentials.hostId, hostId));
    if (!row) return null;
    return {
      version: row.version,
      repository: {
        url: row.url,
        username: row.username,
        password: this.secrets.decryptString(row.passwordEnc, credentialSlot(hostId)),
      },
    };
  }

  /** What the edit form shows: never the passwords themselves. */
  async redactedCredentials(hostId: string) {
    await this.get(hostId);
    const [row] = await this.db
      .select({
        url: hostCredentials.repoUrl,
        username: hostCredentials.repoUsername,
        adminUsername: hostCredentials.adminUsername,
        hasAdminPassword: sql<number>`${hostCredentials.adminPasswordEnc} IS NOT NULL`,
      })
      .from(hostCredentials)
      .where(eq(hostCredentials.hostId, hostId));
    return row
      ? {
          url: row.url,
          username: row.username,
          hasPassword: true,
          admin: row.hasAdminPassword ? { username: row.adminUsername } : null,
        }
      : null;
  }

  /** The prune credential, for the prune command only (the jobs service's resolver). */
  async adminCredentialsFor(hostId: string): Promise<RepositoryCredentials | null> {
    const [row] = await this.db.select().from(hostCredentials).where(eq(hostCredentials.hostId, hostId));
    if (!row?.adminPasswordEnc) return null;
    return {
      url: row.repoUrl,
      username: row.adminUsername,
      password: this.secrets.decryptString(row.adminPasswordEnc, adminCredentialSlot(hostId)),
    };
  }

  /**
   * Sets or clears the second credential slot: a non-append-only user for prune. It is never
   * pushed in config.update; only a prune command carries it.
   */
  async updateAdminCredentials(
    hostId: string,
    input: { username: string | null; password: string } | null,
    actor: Actor,
  ): Promise<void> {
    const host = await this.get(hostId);
    await this.db.transaction(async (tx) => {
      const [existing] = await tx
        .select({ hostId: hostCredentials.hostId })
        .from(hostCredentials)
        .where(eq(hostCredentials.hostId, hostId));
      if (!existing) {
        throw new DomainError("PRECONDITION_FAILED", "Set the repository connection before the prune credential.");
      }
      await tx
        .update(hostCredentials)
        .set(
          input
            ? {
                adminUsername: input.username,
                adminPasswordEnc: this.secrets.encrypt(input.password, adminCredentialSlot(hostId)),
              }
            : { adminUsername: null, adminPasswordEnc: null },
        )
        .where(eq(hostCredentials.hostId, hostId));
      await writeAudit(tx, actor, {
        action: "host.admin_credentials_update",
        target: { type: "host", id: hostId },
        summary: input
          ? `set the prune (admin) credential of "${host.name}"${input.username ? ` for user ${input.username}` : ""}`
          : `removed the prune (admin) credential of "${host.name}"; prune uses the regular credential`,
      });
    });
    this.events.emit("host.changed", { hostId });
  }

  /** Replaces the repository connection. An omitted password keeps the stored one. */
  async updateCredentials(
    hostId: string,
    input: { url: string; username: string | null; password?: string | undefined },
    actor: Actor,
  ): Promise<void> {
    const host = await this.get(hostId);
    await this.db.transaction(async (tx) => {
      const [existing] = await tx.select().from(hostCredentials).where(eq(hostCredentials.hostId, hostId));
      if (!existing && !input.password) {
        throw new DomainError("BAD_REQUEST", "This host has no repository password yet. Enter one.");
      }
      const passwordEnc = input.password
        ? this.secrets.encrypt(input.password, credentialSlot(hostId))
        : (existing?.passwordEnc ?? Buffer.alloc(0));
      const values = { repoUrl: input.url, repoUsername: input.username, passwordEnc, updatedAt: new Date(this.now()) };
      await tx
        .insert(hostCredentials)
        .values({ hostId, ...values })
        .onConflictDoUpdate({ target: hostCredentials.hostId, set: values });
      await tx
        .update(hosts)
        .set({ configVersion: sql`${hosts.configVersion} + 1` })
        .where(eq(hosts.id, hostId));
      await writeAudit(tx, actor, {
        action: "host.credentials_update",
        target: { type: "host", id: hostId },
        summary: `changed the repository connection of "${host.name}" to ${input.url}${input.password ? " with a new password" : ""}`,
      });
    });
    this.events.emit("host.credentials_changed", { hostId });
  }

  /** Revoked hosts keep their history; the bearer stops working and the socket closes. */
  async revoke(hostId: string, actor: Actor): Promise<void> {
    const host = await this.get(hostId);
    if (host.status === "revoked") return;
    await this.db.transaction(async (tx) => {
      await tx
        .update(hosts)
        .set({ status: "revoked", revokedAt: new Date(this.now()), agentTokenHash: null })
        .where(eq(hosts.id, hostId));
      await writeAudit(tx, actor, {
        action: "host.revoke",
        target: { type: "host", id: hostId },
        summary: `revoked the agent of "${host.name}"`,
      });
    });
    this.events.emit("host.revoked", { hostId });
    this.events.emit("host.status", { hostId, status: "revoked" });
  }

  /** Deletes the host with its jobs, logs and snapshots list; the repository itself is untouched. */
  async remove(hostId: string, confirmName: string, actor: Actor): Promise<void> {
    const host = await this.get(hostId);
    if (confirmName.trim() !== host.name) {
      throw new DomainError("BAD_REQUEST", `Type the host name "${host.name}" exactly to confirm.`);
    }
    await this.db.transaction(async (tx) => {
      await tx.delete(hosts).where(eq(hosts.id, hostId));
      await writeAudit(tx, actor, {
        action: "host.delete",
        target: { type: "host", id: hostId },
        summary: `deleted host "${host.name}" and its history (the restic repository was not touched)`,
      });
    });
    this.events.emit("host.revoked", { hostId });
  }

  /** Dashboard tiles, from the denormalised host rows and one indexed range over recent jobs. */
  async fleetSummary() {
    const [fleet] = await this.db
      .select({
        hosts: sql<number>`count(*)`,
        online: sql<number>`coalesce(sum(${hosts.status} = 'online'), 0)`,
        offline: sql<number>`coalesce(sum(${hosts.status} in ('offline', 'pending')), 0)`,
        repoSizeBytes: sql<number>`coalesce(sum(${hosts.repoSizeBytes}), 0)`,
        snapshots: sql<number>`coalesce(sum(${hosts.snapshotCount}), 0)`,
      })
      .from(hosts)
      .where(sql`${hosts.status} != 'revoked'`);
    const since = this.now() - 24 * 3_600_000;
    const [recent] = await this.db
      .select({
        succeeded: sql<number>`coalesce(sum(${jobs.status} = 'succeeded'), 0)`,
        failed: sql<number>`coalesce(sum(${jobs.status} in ('failed', 'interrupted')), 0)`,
      })
      .from(jobs)
      // ULIDs sort by creation time: a range on jobs_kind_idx (kind, id) reads only the last day.
      // On created_at the planner picked jobs_kind_idx for kind = 'backup' alone and visited every
      // backup job ever (1M rows: 0.8 s per dashboard refresh, 15 s p50 with 20 clients).
      .where(and(eq(jobs.kind, "backup"), gte(jobs.id, idFloor(since))));
    return {
      ...(fleet ?? { hosts: 0, online: 0, offline: 0, repoSizeBytes: 0, snapshots: 0 }),
      last24h: recent ?? { succeeded: 0, failed: 0 },
    };
  }
}
