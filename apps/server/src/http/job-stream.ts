/**
 * `GET /api/jobs/:jobId/stream`: the live job page's server-sent events, an adapter of the
 * core's job feed (packages/core/src/jobs/feed.ts), which does the catch-up, the seq dedupe and
 * the slow-viewer handling for this transport and for `jobs.watch` alike. Here: each event is
 * encoded once as an SSE frame (`event:` its name, `data:` superjson like the tRPC API) and
 * written straight to the socket; a socket that stops draining is a backed-up sink.
 *
 * Access: the `authed` tier (any signed-in user or API token), like `jobs.get`; see
 * HTTP_ROUTES in packages/api/src/permissions.ts. Errors answer `{ error: { code, message } }`.
 */
import type { ServerResponse } from "node:http";
import { type Core, type FeedSink, JobFeed, type JobFeedEvents, type JobFeedEventType } from "@restic-manager/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import superjson from "superjson";

const KEEPALIVE_MS = 15_000;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

type Caller = (req: FastifyRequest) => Promise<{ user: unknown | null }>;

/** One SSE frame; the event name and its data's type come from the feed's one event map. */
export const frame = <K extends JobFeedEventType>(event: K, data: JobFeedEvents[K]): Buffer =>
  Buffer.from(`event: ${event}\ndata: ${superjson.stringify(data)}\n\n`);

/** A response socket as a feed sink: full when `write` says so, drained on "drain". */
function socketSink(res: ServerResponse): FeedSink<Buffer> {
  return {
    write: (chunk) => res.write(chunk),
    drained: () =>
      new Promise<boolean>((resolve) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          resolve(!res.destroyed);
        };
        res.on("drain", done);
        res.on("close", done);
      }),
    get closed() {
      return res.destroyed || res.writableEnded;
    },
    end: () => res.end(),
  };
}

export class JobStreamHub {
  readonly #feed: JobFeed<Buffer>;
  readonly #keepalive: NodeJS.Timeout;

  constructor(core: Core) {
    this.#feed = new JobFeed(core.events, core.jobs, frame);
    this.#keepalive = setInterval(() => {
      const ping = Buffer.from(": keepalive\n\n");
      for (const sink of this.#feed.liveSinks()) sink.write(ping);
    }, KEEPALIVE_MS);
    this.#keepalive.unref();
  }

  /** Frames encoded once for every viewer, and catch-ups from the database (tests read them). */
  get stats() {
    return this.#feed.stats;
  }

  close(): void {
    clearInterval(this.#keepalive);
    this.#feed.close();
  }

  /** Follows `jobId` on `res` until the client goes away. */
  follow(jobId: string, res: ServerResponse): void {
    const stop = this.#feed.follow(jobId, socketSink(res));
    res.once("close", stop);
  }
}

const refuse = (reply: FastifyReply, status: number, code: string, message: string) =>
  reply.code(status).send({ error: { code, message } });

export function registerJobStream(app: FastifyInstance, deps: { hub: JobStreamHub; core: Core; caller: Caller }) {
  app.get<{ Params: { jobId: string } }>("/api/jobs/:jobId/stream", async (req, reply) => {
    const { jobId } = req.params;
    if (!ULID.test(jobId)) return refuse(reply, 400, "bad_request", "That is not a job id.");
    const { user } = await deps.caller(req);
    if (!user) return refuse(reply, 401, "unauthorized", "Sign in to follow a job.");
    try {
      await deps.core.jobs.get(jobId);
    } catch {
      return refuse(reply, 404, "not_found", "No such job.");
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-content-type-options": "nosniff",
      // Reverse proxies must pass events through as they come.
      "x-accel-buffering": "no",
      connection: "keep-alive",
    });
    res.write(": stream open\n\n");
    deps.hub.follow(jobId, res);
  });
}
