import { Button } from "@restic-manager/ui/button";
import { Popover, PopoverAnchor, PopoverContent } from "@restic-manager/ui/popover";
import { useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { LoaderCircleIcon, PlayIcon } from "lucide-react";
import { useRef, useState } from "react";
import { toast } from "sonner";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { useRunBackup } from "./run-backup";
import type { SourceGroup } from "./types";

/**
 * Run now for a whole host: with exactly one source group that has paths it starts that one;
 * otherwise a small popover asks which group (or says none has paths yet).
 */
export function RunNowButton({
  hostId,
  hostName,
  size = "sm",
  variant = "outline",
  disabled = false,
}: {
  hostId: string;
  hostName: string;
  size?: "sm" | "default";
  variant?: "outline" | "default";
  disabled?: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const run = useRunBackup();
  const [open, setOpen] = useState(false);
  const [loading, setLoading] = useState(false);
  const [groups, setGroups] = useState<SourceGroup[]>([]);
  const buttonRef = useRef<HTMLButtonElement>(null);

  const onClick = async () => {
    if (open) return setOpen(false);
    setLoading(true);
    try {
      const { items: list } = await queryClient.fetchQuery({
        ...trpc.sources.list.queryOptions({ hostId }),
        staleTime: 0,
      });
      const runnable = list.filter((group) => group.includePaths.length > 0);
      const only = runnable.length === 1 ? runnable[0] : undefined;
      if (only) run.mutate({ groupId: only.id });
      else {
        setGroups(list);
        setOpen(true);
      }
    } catch (error) {
      toast.error("Could not load the source groups", { description: describeError(error) });
    } finally {
      setLoading(false);
    }
  };

  const busy = loading || run.isPending;
  const runnable = groups.filter((group) => group.includePaths.length > 0);
  return (
    <Popover open={open} onOpenChange={setOpen}>
      <PopoverAnchor asChild>
        <Button
          ref={buttonRef}
          size={size}
          variant={variant}
          disabled={disabled || busy}
          onClick={() => void onClick()}
          aria-label={`Run now: ${hostName}`}
          aria-haspopup="dialog"
          aria-expanded={open}
        >
          {busy ? <LoaderCircleIcon className="animate-spin" aria-hidden="true" /> : <PlayIcon aria-hidden="true" />}
          Run now
        </Button>
      </PopoverAnchor>
      <PopoverContent
        align="end"
        className="w-80 p-0"
        aria-label={`Back up ${hostName}`}
        // The button toggles the popover itself.
        onPointerDownOutside={(event) => {
          if (buttonRef.current?.contains(event.target as Node)) event.preventDefault();
        }}
      >
        {runnable.length === 0 ? (
          <div className="grid gap-2 p-4 text-sm">
            <p className="font-medium">Nothing to back up yet</p>
            <p className="text-muted-foreground">
              {groups.length === 0
                ? `${hostName} has no source groups.`
                : `No source group of ${hostName} has paths yet.`}{" "}
              Add the directories to back up first.
            </p>
            <Button asChild size="sm" variant="outline" className="mt-1 justify-self-start">
              <Link to="/hosts/$hostId" params={{ hostId }} search={{ tab: "sources" }} onClick={() => setOpen(false)}>
                Set up sources
              </Link>
            </Button>
          </div>
        ) : (
          <div className="grid">
            <p className="border-b px-4 py-3 font-medium text-sm">Back up which source group?</p>
            <ul className="grid max-h-72 gap-0.5 overflow-y-auto p-1">
              {groups.map((group) => {
                const paths = group.includePaths.length;
                return (
                  <li key={group.id}>
                    <button
                      type="button"
                      disabled={paths === 0 || run.isPending}
                      onClick={() => {
                        setOpen(false);
                        run.mutate({ groupId: group.id });
                      }}
                      aria-label={`Run backup of ${group.name}`}
                      className="flex w-full cursor-pointer items-center justify-between gap-3 rounded-sm px-3 py-2 text-left text-sm outline-none hover:bg-accent focus-visible:bg-accent disabled:cursor-not-allowed disabled:opacity-50"
                    >
                      <span className="truncate font-medium font-mono text-[13px]">{group.name}</span>
                      <span className="shrink-0 text-muted-foreground text-xs">
                        {paths === 0 ? "no paths yet" : paths === 1 ? "1 path" : `${paths} paths`}
                      </span>
                    </button>
                  </li>
                );
              })}
            </ul>
          </div>
        )}
      </PopoverContent>
    </Popover>
  );
}
