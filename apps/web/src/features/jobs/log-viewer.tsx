import { Button } from "@restic-manager/ui/button";
import { cn } from "@restic-manager/ui/cn";
import { ArrowDownIcon } from "lucide-react";
import { memo, useCallback, useLayoutEffect, useRef, useState } from "react";
import type { LogBuffer } from "./log-buffer";
import type { LogLine } from "./types";

/** Every row is one line high (no wrapping), which makes windowing a division. */
const ROW_PX = 20;
/** Up to this many lines render in full (the browser's find works); past it, only what is in view. */
const WINDOW_FROM = 2_000;
const OVERSCAN = 40;

const STREAM_CLASS: Record<LogLine["stream"], string> = {
  stdout: "",
  stderr: "bg-destructive/[0.07] text-destructive dark:bg-destructive/10",
  system: "italic text-muted-foreground",
};

/**
 * A job's log: monospace rows numbered by seq, stderr tinted, system lines in italics. It
 * follows new lines while the operator is at the bottom; scrolling up stops that and offers
 * "Jump to latest".
 */
export function LogViewer({
  buffer,
  version,
  emptyText,
  live,
  className,
}: {
  buffer: LogBuffer;
  /** Bumped whenever the buffer changed. */
  version: number;
  emptyText: string;
  /** A job still running keeps a steady height; a finished one shrinks to its log. */
  live: boolean;
  className?: string;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const followRef = useRef(true);
  const [following, setFollowing] = useState(true);
  const [scroll, setScroll] = useState({ top: 0, height: 480 });
  const lines = buffer.lines;
  const count = lines.length;
  const windowed = count > WINDOW_FROM;

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW_PX * 1.5;
    followRef.current = atBottom;
    setFollowing(atBottom);
    setScroll((prev) =>
      prev.top === el.scrollTop && prev.height === el.clientHeight
        ? prev
        : { top: el.scrollTop, height: el.clientHeight },
    );
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs after each batch of new lines
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (el && followRef.current) el.scrollTop = el.scrollHeight;
  }, [version, count]);

  const jumpToLatest = () => {
    const el = scrollRef.current;
    if (!el) return;
    followRef.current = true;
    setFollowing(true);
    el.scrollTop = el.scrollHeight;
  };

  let start = 0;
  let end = count;
  if (windowed) {
    // While following, draw the bottom at once instead of a frame of the old window.
    const top = followRef.current ? Math.max(0, count * ROW_PX - scroll.height) : scroll.top;
    start = Math.max(0, Math.floor(top / ROW_PX) - OVERSCAN);
    end = Math.min(count, Math.ceil((top + scroll.height) / ROW_PX) + OVERSCAN);
  }
  const gutter = `${String(Math.max(count, 1)).length + 1}ch`;

  return (
    <div className={cn("relative", className)}>
      <div
        ref={scrollRef}
        onScroll={onScroll}
        data-testid="job-log"
        data-lines={count}
        role="log"
        aria-live="off"
        aria-label="Job log"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls; keyboard users need to reach it
        tabIndex={0}
        className={cn(
          "min-h-20 overflow-auto rounded-lg border bg-muted/40 py-2 font-mono text-[12.5px] leading-5 outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50 dark:bg-black/25",
          live ? "h-[min(32rem,60vh)]" : "max-h-[min(32rem,60vh)]",
        )}
      >
        {count === 0 ? (
          <p className="px-4 py-1 text-muted-foreground italic">{emptyText}</p>
        ) : (
          <div className="w-max min-w-full">
            {start > 0 && <div style={{ height: start * ROW_PX }} aria-hidden="true" />}
            {lines.slice(start, end).map((line) => (
              <LogRow key={line.seq} line={line} gutter={gutter} />
            ))}
            {end < count && <div style={{ height: (count - end) * ROW_PX }} aria-hidden="true" />}
          </div>
        )}
      </div>
      {!following && count > 0 && (
        <Button
          size="sm"
          variant="secondary"
          onClick={jumpToLatest}
          className="absolute right-4 bottom-3 border shadow-md"
        >
          <ArrowDownIcon aria-hidden="true" />
          Jump to latest
        </Button>
      )}
    </div>
  );
}

const LogRow = memo(function LogRow({ line, gutter }: { line: LogLine; gutter: string }) {
  return (
    <div data-stream={line.stream} className={cn("flex h-5 pr-4", STREAM_CLASS[line.stream])}>
      <span
        aria-hidden="true"
        className="box-content shrink-0 select-none px-3 text-right text-muted-foreground/60 tabular-nums"
        style={{ width: gutter }}
      >
        {line.seq + 1}
      </span>
      <span className="whitespace-pre">{line.line}</span>
    </div>
  );
});
