import { cn } from "@restic-manager/ui/cn";
import { DatabaseBackupIcon } from "lucide-react";

export function BrandMark({ className }: { className?: string }) {
  return (
    <span
      aria-hidden="true"
      className={cn(
        "flex size-7 shrink-0 items-center justify-center rounded-md bg-brand text-white shadow-xs dark:text-zinc-950 [&_svg]:size-4",
        className,
      )}
    >
      <DatabaseBackupIcon />
    </span>
  );
}

export function Brand({ className }: { className?: string }) {
  return (
    <span className={cn("flex items-center gap-2 font-semibold tracking-tight", className)}>
      <BrandMark />
      <span>restic-manager</span>
    </span>
  );
}
