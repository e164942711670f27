import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import superjson from "superjson";
import { errorCode } from "../../lib/errors";
import { useTRPC, useTRPCClient } from "../../lib/trpc";
import { LogBuffer } from "./log-buffer";
import { isActive, type JobFeedEvents, type JobProgress, type LogLine } from "./types";

/** While the live stream is down, the page polls at this pace. */
export const FALLBACK_POLL_MS = 3_000;
const LOG_PAGE = 5_000;
/** How long the stream stays open after the job ended, for its last lines. */
const CLOSE_AFTER_END_MS = 3_000;

export interface LiveProgress {
  progress: JobProgress;
  /** Bytes per second, smoothed over successive progress reports; null until two arrived. */
  bytesPerSecond: number | null;
}

/** The stream's events by name (`event:`) with their data: the job feed's one event map. */
type StreamData = JobFeedEvents;

/** The live stream's state: EventSource retries a dropped connection by itself, not a refusal. */
type StreamState = { status: "connecting" | "open" } | { status: "retrying" | "refused"; error: Error };

/**
 * Follows one job: `GET /api/jobs/:id/stream` (server-sent events, see the server's
 * job-stream.ts) streams the job row, its log (history first, then live) and progress. Job rows
 * land in the `jobs.get` query cache, log lines in a LogBuffer that is flushed to React once per
 * animation frame. If the stream fails, the page says so and polls `jobs.get` and `jobs.logs`
 * until it is back; the seq-keyed buffer makes overlap (and a reconnect replaying the history)
 * harmless.
 */
export function useJobStream(jobId: string) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();

  // --- log lines: buffered in a ref, rendered once per frame ---------------------------------
  const bufferRef = useRef<LogBuffer | null>(null);
  if (bufferRef.current === null) bufferRef.current = new LogBuffer();
  const buffer = bufferRef.current;
  const [logVersion, setLogVersion] = useState(0);
  const pendingRef = useRef<LogLine[]>([]);
  const frameRef = useRef<number | null>(null);

  const flush = useCallback(() => {
    frameRef.current = null;
    const batch = pendingRef.current;
    pendingRef.current = [];
    if (buffer.add(batch)) setLogVersion((version) => version + 1);
  }, [buffer]);

  const pushLines = useCallback(
    (lines: readonly LogLine[]) => {
      for (const line of lines) pendingRef.current.push(line);
      frameRef.current ??= requestAnimationFrame(flush);
    },
    [flush],
  );

  useEffect(
    () => () => {
      if (frameRef.current !== null) cancelAnimationFrame(frameRef.current);
    },
    [],
  );

  // --- progress, with a throughput from successive reports -----------------------------------
  const [live, setLive] = useState<LiveProgress | null>(null);
  const lastRef = useRef<{ at: number; bytes: number; rate: number | null } | null>(null);

  const applyProgress = useCallback((progress: JobProgress | null | undefined) => {
    if (!progress) return;
    const { at, bytesDone } = progress;
    const last = lastRef.current;
    if (last && at <= last.at) return; // an older report than the one shown
    let rate = last?.rate ?? null;
    if (last && bytesDone >= last.bytes) {
      const instant = (bytesDone - last.bytes) / ((at - last.at) / 1000);
      rate = rate === null ? instant : 0.5 * instant + 0.5 * rate;
    }
    lastRef.current = { at, bytes: bytesDone, rate };
    setLive({ progress, bytesPerSecond: rate });
  }, []);

  // --- the stream ------------------------------------------------------------------------------
  // A job that ended changes no more: the stream closes shortly after (browsers allow only a few
  // connections per server over HTTP/1.1), and one last read picks up any line it had not sent.
  const [closed, setClosed] = useState(false);
  const [stream, setStream] = useState<StreamState>({ status: "connecting" });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (closed) return;
    void attempt; // a new attempt (the Reconnect button) opens a new EventSource
    setStream({ status: "connecting" });
    const source = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/stream`);
    const on = <E extends keyof StreamData>(event: E, handle: (data: StreamData[E]) => void) =>
      source.addEventListener(event, (e) => handle(superjson.parse<StreamData[E]>((e as MessageEvent<string>).data)));
    const key = trpc.jobs.get.queryKey({ jobId });
    on("job", (job) => queryClient.setQueryData(key, job));
    on("logs", pushLines);
    on("progress", applyProgress);
    source.onopen = () => setStream({ status: "open" });
    source.onerror = () =>
      setStream(
        source.readyState === EventSource.CLOSED
          ? {
              status: "refused",
              error: new Error("The console refused the live log (signed out, or the job is gone)."),
            }
          : { status: "retrying", error: new Error("The live log connection dropped.") },
      );
    return () => source.close();
  }, [jobId, closed, attempt, trpc, queryClient, pushLines, applyProgress]);
  const streamDown = !closed && (stream.status === "retrying" || stream.status === "refused");

  const job = useQuery({
    ...trpc.jobs.get.queryOptions({ jobId }),
    // The stream keeps the job current; poll only while it is down.
    refetchInterval: (query) => (streamDown && !errorCode(query.state.error) ? FALLBACK_POLL_MS : false),
  });
  const ended = job.data !== undefined && !isActive(job.data.status);
  useEffect(() => {
    if (!ended) return;
    const timer = setTimeout(() => setClosed(true), CLOSE_AFTER_END_MS);
    return () => clearTimeout(timer);
  }, [ended]);

  // --- reading the log by hand: while the stream is down, and once after it closed -----------
  const busyRef = useRef(false);
  const readLog = useCallback(async () => {
    if (busyRef.current) return;
    busyRef.current = true;
    try {
      for (;;) {
        const page = await client.jobs.logs.query({ jobId, cursor: String(buffer.lastSeq), limit: LOG_PAGE });
        if (buffer.add(page.items)) setLogVersion((version) => version + 1);
        if (page.nextCursor === null) break;
      }
    } catch {
      // While the stream is down the banner already says so; the next tick tries again.
    } finally {
      busyRef.current = false;
    }
  }, [client, jobId, buffer]);

  useEffect(() => {
    if (!streamDown) return;
    void readLog();
    const timer = setInterval(() => void readLog(), FALLBACK_POLL_MS);
    return () => clearInterval(timer);
  }, [streamDown, readLog]);

  useEffect(() => {
    if (closed) void readLog();
  }, [closed, readLog]);

  return {
    job,
    buffer,
    logVersion,
    live,
    applyProgress,
    streamDown,
    streamError: "error" in stream ? stream.error : null,
    reconnect: () => setAttempt((n) => n + 1),
  };
}
