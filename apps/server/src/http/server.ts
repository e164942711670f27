import { statfs } from "node:fs/promises";
import { appRouter, errorIdOf, type RequestContext, SESSION_COOKIE } from "@restic-manager/api";
import type { AuthUser, Core } from "@restic-manager/core";
import { describeStorageFailure, type StorageHealth, storageFailureOf } from "@restic-manager/db";
import { type CreateFastifyContextOptions, fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import { sql } from "drizzle-orm";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, LogController } from "fastify";
import type { Logger } from "pino";
import type { ServerConfig } from "../config.js";
import { registerAgentRoutes } from "./agent-routes.js";
import { readCookie, serializeCookie } from "./cookies.js";
import { checkCsrf } from "./csrf.js";
import { type JobStreamHub, registerJobStream } from "./job-stream.js";
import { registerSecurityHeaders } from "./security-headers.js";
import { registerSpa } from "./static.js";

/** What the HTTP layer needs at request time. `publicUrl` is final only after listen(). */
export interface HttpDeps {
  config: ServerConfig;
  core: Core;
  logger: Logger;
  runtime: { publicUrl: string; ready: boolean };
  jobStreams: JobStreamHub;
  version: string;
  /** Outcome of the database's writes, for /readyz. */
  storage: StorageHealth;
}

/** Below this much free space on the data directory's volume the console reports not ready. */
export const MIN_FREE_BYTES = 8 * 1024 * 1024;

const bearerOf = (req: FastifyRequest): string | null => {
  const h = req.headers.authorization;
  return h?.startsWith("Bearer ") ? h.slice(7).trim() : null;
};

async function resolveCaller(
  req: FastifyRequest,
  core: Core,
): Promise<{ user: AuthUser | null; auth: RequestContext["auth"] }> {
  const bearer = bearerOf(req);
  if (bearer) {
    const found = await core.auth.authenticateApiToken(bearer);
    return found
      ? { user: found.user, auth: { kind: "api_token", tokenId: found.tokenId } }
      : { user: null, auth: null };
  }
  const token = readCookie(req.headers.cookie, SESSION_COOKIE);
  if (token) {
    const user = await core.auth.authenticateSession(token);
    if (user) return { user, auth: { kind: "session", token } };
  }
  return { user: null, auth: null };
}

const registeredRoutes = new WeakMap<FastifyInstance, string[]>();

/** "METHOD /path" of every route the app registered (HEAD left out: fastify adds it to each GET). */
export const routesOf = (app: FastifyInstance): string[] => registeredRoutes.get(app) ?? [];

async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

export async function buildHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const { config, core, logger, runtime } = deps;
  const app = Fastify({
    loggerInstance: logger.child({ component: "http" }) as FastifyBaseLogger,
    // One line per request comes from our onResponse hook instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustedProxy === false ? false : config.trustedProxy,
    bodyLimit: 1024 * 1024,
    // Long-lived SSE streams must not be cut by the default request timeout.
    requestTimeout: 0,
  });

  // Every route, for the HTTP_ROUTES matrix test (packages/api/src/permissions.ts).
  const routes: string[] = [];
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) if (method !== "HEAD") routes.push(`${method} ${route.url}`);
  });
  registeredRoutes.set(app, routes);

  registerSecurityHeaders(app);

  app.addHook("onResponse", (req, reply, done) => {
    if (!req.url.startsWith("/assets/")) {
      req.log.info(
        { method: req.method, url: req.url.split("?")[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        "request",
      );
    }
    done();
  });

  // Errors of plain routes answer in the API's one shape; a 5xx never carries the error's text.
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status < 500) {
      return reply.code(status).send({ error: { code: error.code ?? "bad_request", message: error.message } });
    }
    const errorId = errorIdOf(error);
    req.log.error({ err: error, errorId, url: req.url.split("?")[0] }, "request failed");
    const storage = storageFailureOf(error);
    return reply.code(storage ? 503 : 500).send({
      error: storage
        ? { code: "storage_unavailable", message: `${describeStorageFailure(storage)} (error id ${errorId})` }
        : { code: "internal", message: `Something went wrong in the console (error id ${errorId}).` },
    });
  });

  app.get("/healthz", async () => ({ status: "ok", version: deps.version }));
  /**
   * Ready = started, the database answers, the data volume has room, and writes are not
   * failing. Each failure answers 503 with a reason an operator can act on.
   */
  app.get("/readyz", async (_req, reply) => {
    if (!runtime.ready) return reply.code(503).send({ status: "not ready", reason: "starting or stopping" });
    try {
      await core.db.run(sql`SELECT 1`);
    } catch (e) {
      logger.error({ err: e }, "readiness check: database unreachable");
      return reply.code(503).send({ status: "not ready", reason: "the database does not answer" });
    }
    const free = await freeBytes(config.dataDir);
    if (free !== null && free < MIN_FREE_BYTES) {
      return reply.code(503).send({
        status: "not ready",
        reason: `${describeStorageFailure({ kind: "disk_full", code: "ENOSPC" })} (${Math.floor(free / 1024)} KiB free under ${config.dataDir})`,
        freeBytes: free,
      });
    }
    const failure = deps.storage.failure;
    if (failure) {
      return reply.code(503).send({
        status: "not ready",
        reason: describeStorageFailure(failure),
        storage: { error: failure.code, since: new Date(failure.at).toISOString(), failures: failure.count },
      });
    }
    return { status: "ready", ...(free !== null ? { freeBytes: free } : {}) };
  });

  await app.register(fastifyTRPCPlugin<typeof appRouter>, {
    prefix: "/trpc",
    trpcOptions: {
      router: appRouter,
      createContext: async ({ req, res }: CreateFastifyContextOptions): Promise<RequestContext> => {
        const caller = await resolveCaller(req, core);
        const secure = runtime.publicUrl.startsWith("https:");
        return {
          core,
          user: caller.user,
          auth: caller.auth,
          ip: req.ip ?? null,
          publicUrl: runtime.publicUrl,
          userAgent: req.headers["user-agent"] ?? null,
          csrf: checkCsrf(req, runtime.publicUrl),
          setCookie: (name, value, options) =>
            void res.header("set-cookie", serializeCookie(name, value, { ...options, secure })),
          clearCookie: (name) => void res.header("set-cookie", serializeCookie(name, "", { maxAgeSeconds: 0, secure })),
          setHeader: (name, value) => void res.header(name, value),
        };
      },
      onError: ({ error, path }) => {
        // The answer names this error id (see errorFormatter); the log has the details.
        if (error.code === "INTERNAL_SERVER_ERROR" || error.code === "SERVICE_UNAVAILABLE")
          logger.error({ err: error.cause ?? error, errorId: errorIdOf(error), path }, "procedure failed");
      },
    },
  });

  registerJobStream(app, { hub: deps.jobStreams, core, caller: (req) => resolveCaller(req, core) });

  registerAgentRoutes(app, {
    core,
    agentBinDir: config.agentBinDir,
    deployDir: config.deployDir,
    publicUrl: () => runtime.publicUrl,
  });
  registerSpa(app, config.webDir);
  return app;
}
