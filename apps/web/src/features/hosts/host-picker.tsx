import { Button } from "@restic-manager/ui/button";
import { cn } from "@restic-manager/ui/cn";
import { Input } from "@restic-manager/ui/input";
import { Popover, PopoverContent, PopoverTrigger } from "@restic-manager/ui/popover";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { CheckIcon, ChevronDownIcon, LoaderCircleIcon } from "lucide-react";
import type * as React from "react";
import { useId, useState } from "react";
import { errorCode } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { useDebouncedValue } from "../../lib/use-debounced";
import { HOST_PICKER_INPUT } from "./host-list-query";

/**
 * Pick one host, or all of them, from a fleet of any size: a button that opens a search box over
 * hosts.options (names only, 50 at a time, searched on the server).
 */
export function HostPicker({
  id,
  labelId,
  value,
  onChange,
  allLabel = "All hosts",
}: {
  id: string;
  /** The visible label's id: the button reads as "Host, web-01". */
  labelId: string;
  value: string | undefined;
  onChange: (hostId: string | undefined) => void;
  allLabel?: string;
}) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const selected = useQuery({ ...trpc.hosts.get.queryOptions({ hostId: value ?? "" }), enabled: Boolean(value) });
  const selectedName = !value
    ? allLabel
    : selected.data
      ? selected.data.name
      : errorCode(selected.error) === "NOT_FOUND"
        ? "Deleted host"
        : "…";

  return (
    <Popover open={open} onOpenChange={setOpen}>
      <PopoverTrigger asChild>
        <Button
          id={id}
          variant="outline"
          aria-labelledby={`${labelId} ${id}`}
          className="w-52 justify-between px-3 font-normal"
        >
          <span className={cn("truncate", value && "font-mono text-[13px]")}>{selectedName}</span>
          <ChevronDownIcon aria-hidden="true" className="text-muted-foreground" />
        </Button>
      </PopoverTrigger>
      <PopoverContent align="start" className="w-72 p-0">
        {open && (
          <HostOptions
            value={value}
            allLabel={allLabel}
            onPick={(hostId) => {
              onChange(hostId);
              setOpen(false);
            }}
          />
        )}
      </PopoverContent>
    </Popover>
  );
}

function HostOptions({
  value,
  allLabel,
  onPick,
}: {
  value: string | undefined;
  allLabel: string;
  onPick: (hostId: string | undefined) => void;
}) {
  const trpc = useTRPC();
  const listId = useId();
  const [text, setText] = useState("");
  const search = useDebouncedValue(text.trim(), 250);
  const options = useQuery({
    ...trpc.hosts.options.queryOptions(search ? { ...HOST_PICKER_INPUT, search } : HOST_PICKER_INPUT),
    placeholderData: keepPreviousData,
  });
  const choices: { id: string | undefined; name: string }[] = [
    ...(search ? [] : [{ id: undefined, name: allLabel }]),
    ...(options.data?.items ?? []),
  ];
  const [active, setActive] = useState(0);
  const current = Math.min(active, Math.max(choices.length - 1, 0));
  const optionId = (index: number) => `${listId}-${index}`;

  const onKeyDown = (event: React.KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      const next = (current + step + choices.length) % Math.max(choices.length, 1);
      setActive(next);
      document.getElementById(optionId(next))?.scrollIntoView({ block: "nearest" });
    } else if (event.key === "Enter") {
      event.preventDefault();
      const choice = choices[current];
      if (choice) onPick(choice.id);
    }
  };

  return (
    <div>
      <div className="border-b p-2">
        {/* The popover focuses its first field on open: typing starts at once. */}
        <Input
          role="combobox"
          aria-label="Search hosts"
          aria-expanded="true"
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={choices.length ? optionId(current) : undefined}
          placeholder="Search hosts"
          autoComplete="off"
          maxLength={200}
          value={text}
          onChange={(event) => {
            setText(event.currentTarget.value);
            setActive(0);
          }}
          onKeyDown={onKeyDown}
        />
      </div>
      <div id={listId} role="listbox" aria-label="Hosts" className="max-h-72 overflow-y-auto p-1">
        {choices.map((choice, index) => (
          // Keys go to the search box (aria-activedescendant points here); the mouse picks directly.
          // biome-ignore lint/a11y/useKeyWithClickEvents: the combobox input handles the keys
          <div
            key={choice.id ?? ""}
            id={optionId(index)}
            role="option"
            tabIndex={-1}
            aria-selected={choice.id === value}
            data-active={index === current || undefined}
            onMouseMove={() => setActive(index)}
            onClick={() => onPick(choice.id)}
            className="flex cursor-pointer items-center gap-2 rounded-sm px-2 py-1.5 text-sm data-active:bg-accent data-active:text-accent-foreground"
          >
            <CheckIcon
              aria-hidden="true"
              className={cn("size-4 shrink-0", choice.id === value ? "opacity-100" : "opacity-0")}
            />
            <span className={cn("truncate", choice.id && "font-mono text-[13px]")}>{choice.name}</span>
          </div>
        ))}
      </div>
      <p className="border-t px-3 py-2 text-muted-foreground text-xs" aria-live="polite">
        {options.isPending ? (
          <span className="inline-flex items-center gap-1.5">
            <LoaderCircleIcon aria-hidden="true" className="size-3 animate-spin" /> Loading hosts…
          </span>
        ) : options.isError ? (
          "Could not load the hosts. Close and open the list to try again."
        ) : options.data.items.length === 0 ? (
          search ? (
            `No host matches “${search}”.`
          ) : (
            "No hosts yet."
          )
        ) : options.data.hasMore ? (
          `The first ${options.data.items.length} by name: type to find others.`
        ) : (
          `${options.data.items.length} ${options.data.items.length === 1 ? "host" : "hosts"}.`
        )}
      </p>
    </div>
  );
}
