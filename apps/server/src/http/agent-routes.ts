/**
 * Plain-HTTP endpoints agents and installers use: enrolment, the agent binaries and the
 * install scripts. Everything else the console offers goes through tRPC.
 */
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Core, EnrollmentError, RateLimiter } from "@restic-manager/core";
import { ENROLL_PATH, ZEnrollRequest } from "@restic-manager/protocol";
import type { FastifyInstance, FastifyReply } from "fastify";

export interface AgentRoutesOptions {
  core: Core;
  /** apps/agent/bin: restic-manager-agent-<os>-<arch>[.exe] with a .sha256 beside each. */
  agentBinDir: string;
  /** deploy/: install.sh and install.ps1 with __SERVER_URL__ placeholders. */
  deployDir: string;
  publicUrl: () => string;
}

const TARGETS: Record<string, string> = {
  "linux/x64": "restic-manager-agent-linux-x64",
  "linux/arm64": "restic-manager-agent-linux-arm64",
  "windows/x64": "restic-manager-agent-windows-x64.exe",
};

const INSTALL_SCRIPTS: Record<string, string> = {
  "install.sh": "text/x-shellscript; charset=utf-8",
  "install.ps1": "text/plain; charset=utf-8",
};

const fail = (reply: FastifyReply, status: number, code: string, message: string) =>
  reply.code(status).send({ error: { code, message } });

export function registerAgentRoutes(app: FastifyInstance, options: AgentRoutesOptions): void {
  const { core } = options;
  // Tokens carry 192 random bits, so this only stops floods; a fleet rollout behind one NAT still fits.
  const limiter = new RateLimiter(120, 60_000);

  app.post(ENROLL_PATH, async (req, reply) => {
    const ip = req.ip;
    const wait = limiter.retryAfter(ip);
    if (wait > 0) {
      reply.header("retry-after", String(wait));
      return fail(reply, 429, "rate_limited", `Too many enrolment attempts from this address. Try again in ${wait} s.`);
    }
    limiter.hit(ip);
    const parsed = ZEnrollRequest.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const emptyToken = issue?.path[0] === "token";
      return fail(
        reply,
        400,
        emptyToken ? "token_empty" : "invalid_request",
        emptyToken
          ? "The enrolment token is empty. Copy it from the console's Add host page."
          : `Invalid enrolment request: ${issue?.path.join(".") || "body"}: ${issue?.message ?? "malformed"}`,
      );
    }
    try {
      return await core.enrollment.enroll(parsed.data, ip);
    } catch (e) {
      if (e instanceof EnrollmentError) return fail(reply, e.httpStatus, e.code, e.message);
      req.log.error({ err: e }, "enrolment failed");
      return fail(reply, 500, "internal", "The console could not complete the enrolment. Check the server log.");
    }
  });

  const binaryFor = (query: unknown) => {
    const { os, arch } = (query ?? {}) as { os?: string; arch?: string };
    const name = TARGETS[`${os}/${arch}`];
    return name ? { name, file: join(options.agentBinDir, name) } : null;
  };
  const targetList = Object.keys(TARGETS).join(", ");

  app.get("/agent/binary", async (req, reply) => {
    const target = binaryFor(req.query);
    if (!target) return fail(reply, 400, "unknown_target", `Unknown os/arch. Available: ${targetList}.`);
    if (!existsSync(target.file)) {
      return fail(
        reply,
        404,
        "not_built",
        `The agent for this platform is not built on this server. Run "npm run build -w apps/agent -- --all" and retry.`,
      );
    }
    const sumFile = `${target.file}.sha256`;
    if (existsSync(sumFile)) reply.header("x-checksum-sha256", readFileSync(sumFile, "utf8").trim().split(/\s+/)[0]);
    return reply
      .header("content-type", "application/octet-stream")
      .header("content-length", statSync(target.file).size)
      .header("content-disposition", `attachment; filename="${target.name}"`)
      .header("cache-control", "no-cache")
      .send(createReadStream(target.file));
  });

  app.get("/agent/binary.sha256", async (req, reply) => {
    const target = binaryFor(req.query);
    if (!target) return fail(reply, 400, "unknown_target", `Unknown os/arch. Available: ${targetList}.`);
    const sumFile = `${target.file}.sha256`;
    if (!existsSync(sumFile))
      return fail(reply, 404, "not_built", "The agent for this platform is not built on this server.");
    return reply
      .type("text/plain; charset=utf-8")
      .header("cache-control", "no-cache")
      .send(readFileSync(sumFile, "utf8"));
  });

  app.get<{ Params: { script: string } }>("/install/:script", async (req, reply) => {
    const type = INSTALL_SCRIPTS[req.params.script];
    if (!type) return fail(reply, 404, "not_found", "Available: /install/install.sh, /install/install.ps1.");
    const source = readFileSync(join(options.deployDir, req.params.script), "utf8");
    return reply
      .type(type)
      .header("cache-control", "no-cache")
      .send(source.replaceAll("__SERVER_URL__", options.publicUrl()));
  });
}
