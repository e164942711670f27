import { alertRulesRouter, alertsRouter, channelsRouter } from "./routers/alerts.js";
import { apiTokensRouter } from "./routers/api-tokens.js";
import { auditRouter } from "./routers/audit.js";
import { authRouter } from "./routers/auth.js";
import { enrollmentRouter } from "./routers/enrollment.js";
import { hostsRouter } from "./routers/hosts.js";
import { jobsRouter } from "./routers/jobs.js";
import { repoRouter } from "./routers/repo.js";
import { schedulesRouter } from "./routers/schedules.js";
import { sourcesRouter } from "./routers/sources.js";
import { usersRouter } from "./routers/users.js";
import { router } from "./trpc.js";

export const appRouter = router({
  auth: authRouter,
  apiTokens: apiTokensRouter,
  users: usersRouter,
  audit: auditRouter,
  hosts: hostsRouter,
  enrollment: enrollmentRouter,
  jobs: jobsRouter,
  sources: sourcesRouter,
  schedules: schedulesRouter,
  repo: repoRouter,
  alerts: alertsRouter,
  channels: channelsRouter,
  alertRules: alertRulesRouter,
});

/** The API's type. Scripts use it with `@trpc/client` and an API token. */
export type AppRouter = typeof appRouter;
