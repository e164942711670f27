import type { Database } from "@restic-manager/db";
import { type AuthOptions, AuthService, DEFAULT_AUTH_OPTIONS } from "./auth.js";
import { EnrollmentService } from "./enrollment.js";
import { EventBus } from "./events.js";
import { HostService } from "./hosts.js";
import { JobService } from "./jobs.js";
import type { SecretBox } from "./secrets.js";
import { SourceGroupService } from "./sources.js";
import { UserService } from "./users.js";

export * from "./audit.js";
export * from "./auth.js";
export * from "./enrollment.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./hosts.js";
export * from "./jobs.js";
export * from "./passwords.js";
export * from "./rate-limit.js";
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
  events: EventBus;
}

export function createCore(deps: { db: Database; secrets: SecretBox; auth?: Partial<AuthOptions> }): Core {
  const events = new EventBus();
  return {
    db: deps.db,
    events,
    hosts: new HostService(deps.db, deps.secrets, events),
    enrollment: new EnrollmentService(deps.db, deps.secrets, events),
    jobs: new JobService(deps.db, events),
    sources: new SourceGroupService(deps.db),
    secrets: deps.secrets,
    auth: new AuthService(deps.db, { ...DEFAULT_AUTH_OPTIONS, ...deps.auth }),
    users: new UserService(deps.db),
  };
}
