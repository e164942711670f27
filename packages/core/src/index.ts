import type { Database } from "@restic-manager/db";
import { type AgentLink, AgentRegistry } from "./agent-link.js";
import { AgentSessions } from "./agent-sessions.js";
import {
  AlertChannels,
  AlertEvaluator,
  AlertLifecycle,
  AlertRuleSettings,
  BackupHealth,
  DEFAULT_DELIVERY_OPTIONS,
  type DeliveryOptions,
  DeliveryQueue,
} from "./alerts/index.js";
import { type AuthOptions, AuthService, DEFAULT_AUTH_OPTIONS } from "./auth.js";
import { EnrollmentService } from "./enrollment.js";
import { EventBus } from "./events.js";
import { HostService } from "./hosts.js";
import { HostActivity, JobDispatcher, JobEvents, JobQueries, RepositoryReports, RunNow } from "./jobs/index.js";
import { MaintenanceService } from "./maintenance.js";
import { ScheduleService } from "./schedules.js";
import type { SecretBox } from "./secrets.js";
import { SourceGroupService } from "./sources.js";
import { UserService } from "./users.js";

export * from "./agent-link.js";
export * from "./agent-sessions.js";
export * from "./alerts/index.js";
export * from "./audit.js";
export * from "./auth.js";
export * from "./connect-work.js";
export * from "./cron.js";
export * from "./deferred-writes.js";
export * from "./enrollment.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./hosts.js";
export * from "./jobs/index.js";
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
  /** The connected agents: the gateway fills it, the services send through it. */
  agents: AgentLink;
  auth: AuthService;
  users: UserService;
  hosts: HostService;
  enrollment: EnrollmentService;
  /** Reading jobs and their logs. */
  jobs: JobQueries;
  /** Creating, queueing, sending and cancelling jobs. */
  dispatcher: JobDispatcher;
  /** "Run X now" for every kind. */
  runNow: RunNow;
  /** The agent's job events and the heartbeat's reconciliation. */
  jobEvents: JobEvents;
  /** Snapshot listings and repository stats. */
  reports: RepositoryReports;
  /** Hello, heartbeats and pushes for connected agents. */
  sessions: AgentSessions;
  sources: SourceGroupService;
  schedules: ScheduleService;
  maintenance: MaintenanceService;
  events: EventBus;
  /** Raising, acknowledging, resolving and listing alerts. */
  alerts: AlertLifecycle;
  /** Rule settings: fleet defaults and per-host overrides. */
  alertRules: AlertRuleSettings;
  /** Notification channels (admin). */
  alertChannels: AlertChannels;
  /** The background delivery queue; the alerts ticker starts it. */
  alertDelivery: DeliveryQueue;
  /** Reacts to domain events; `tick()` evaluates the time-based rules. */
  alertEvaluator: AlertEvaluator;
  /** Every source group's last backup, RPO and state, most urgent first. */
  backupHealth: BackupHealth;
}

/**
 * Builds every service with what it needs, in dependency order; nothing is finished by setters
 * afterwards. `agents` defaults to a registry the gateway fills; tests pass their own link.
 */
export function createCore(deps: {
  db: Database;
  secrets: SecretBox;
  auth?: Partial<AuthOptions>;
  agents?: AgentLink;
  /** The clock of the scheduling services (tests drive it). */
  now?: () => number;
  /** Retry base, attempts and timeout of notification deliveries (tests shorten them). */
  alertDelivery?: Partial<DeliveryOptions>;
}): Core {
  const { db, secrets } = deps;
  const now = deps.now ?? Date.now;
  const events = new EventBus();
  const agents = deps.agents ?? new AgentRegistry();
  const activity = new HostActivity();
  const hosts = new HostService(db, secrets, events, agents, now);
  const sources = new SourceGroupService(db, secrets, events, now);
  const dispatcher = new JobDispatcher(
    db,
    events,
    agents,
    activity,
    { hooks: (groupId) => sources.hooks(groupId), adminRepository: (hostId) => hosts.adminCredentialsFor(hostId) },
    now,
  );
  const runNow = new RunNow(db, dispatcher);
  const jobEvents = new JobEvents(db, events, activity, now);
  const reports = new RepositoryReports(db, events, agents, now);
  const schedules = new ScheduleService(db, runNow, events, now);
  const alertRules = new AlertRuleSettings(db, now);
  const alertChannels = new AlertChannels(db, secrets, now);
  const alertDelivery = new DeliveryQueue(
    db,
    alertChannels,
    { ...DEFAULT_DELIVERY_OPTIONS, ...deps.alertDelivery },
    now,
  );
  const alerts = new AlertLifecycle(db, events, alertDelivery, now);
  const alertEvaluator = new AlertEvaluator(db, events, alerts, alertRules, alertDelivery, now);
  return {
    alerts,
    alertRules,
    alertChannels,
    alertDelivery,
    alertEvaluator,
    backupHealth: new BackupHealth(db, alertRules, now),
    db,
    secrets,
    agents,
    events,
    hosts,
    enrollment: new EnrollmentService(db, secrets, events),
    jobs: new JobQueries(db),
    dispatcher,
    runNow,
    jobEvents,
    reports,
    sessions: new AgentSessions({
      db,
      link: agents,
      events,
      hosts,
      schedules,
      dispatcher,
      runNow,
      jobEvents,
      reports,
      now,
    }),
    sources,
    schedules,
    maintenance: new MaintenanceService(db, agents, runNow, events, now),
    auth: new AuthService(db, { ...DEFAULT_AUTH_OPTIONS, ...deps.auth }),
    users: new UserService(db),
  };
}
