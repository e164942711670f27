import type { Database } from "@restic-manager/db";
import { type AuthOptions, AuthService, DEFAULT_AUTH_OPTIONS } from "./auth.js";
import { EnrollmentService } from "./enrollment.js";
import { EventBus } from "./events.js";
import { HostService } from "./hosts.js";
import { JobService } from "./jobs.js";
import { MaintenanceService } from "./maintenance.js";
import { ScheduleService } from "./schedules.js";
import type { SecretBox } from "./secrets.js";
import { SourceGroupService } from "./sources.js";
import { UserService } from "./users.js";

export * from "./audit.js";
export * from "./auth.js";
export * from "./connect-work.js";
export * from "./cron.js";
export * from "./deferred-writes.js";
export * from "./enrollment.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./hosts.js";
export * from "./jobs.js";
export * from "./maintenance.js";
export * from "./passwords.js";
export * from "./rate-limit.js";
export * from "./read-cache.js";
export * from "./schedules.js";
export * from "./secret-key.js";
export * from "./secrets.js";
export * from "./sources.js";
export * from "./tokens.js";
export * from "./users.js";

/** Every domain service, wired to one database. The server builds this once at start. */
export interface Core {
  db: Database;
  secrets: SecretBox;
  auth: AuthService;
  users: UserService;
  hosts: HostService;
  enrollment: EnrollmentService;
  jobs: JobService;
  sources: SourceGroupService;
  schedules: ScheduleService;
  maintenance: MaintenanceService;
  events: EventBus;
}

export function createCore(deps: {
  db: Database;
  secrets: SecretBox;
  auth?: Partial<AuthOptions>;
  /** The clock of the scheduling services (tests drive it). */
  now?: () => number;
}): Core {
  const now = deps.now ?? Date.now;
  const events = new EventBus();
  const hosts = new HostService(deps.db, deps.secrets, events, now);
  const sources = new SourceGroupService(deps.db, deps.secrets, events, now);
  const jobs = new JobService(deps.db, events, now);
  jobs.setResolvers({
    hooks: (groupId) => sources.hooks(groupId),
    adminRepository: (hostId) => hosts.adminCredentialsFor(hostId),
  });
  return {
    db: deps.db,
    events,
    hosts,
    enrollment: new EnrollmentService(deps.db, deps.secrets, events),
    jobs,
    sources,
    schedules: new ScheduleService(deps.db, jobs, events, now),
    maintenance: new MaintenanceService(deps.db, jobs, events, now),
    secrets: deps.secrets,
    auth: new AuthService(deps.db, { ...DEFAULT_AUTH_OPTIONS, ...deps.auth }),
    users: new UserService(deps.db),
  };
}
