import { Button } from "@restic-manager/ui/button";
import { cn } from "@restic-manager/ui/cn";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@restic-manager/ui/dropdown-menu";
import { ChevronsUpDownIcon, LogOutIcon, MonitorIcon, MoonIcon, SunIcon } from "lucide-react";
import { setTheme, type ThemeChoice, useTheme } from "../../lib/theme";
import { ROLE_LABELS, useCurrentUser } from "../auth/current-user";
import { useSignOut } from "../auth/session";

function Avatar({ name }: { name: string }) {
  return (
    <span
      aria-hidden="true"
      className="flex size-8 shrink-0 items-center justify-center rounded-full bg-muted font-semibold text-muted-foreground text-xs uppercase"
    >
      {name.slice(0, 1)}
    </span>
  );
}

/** The account menu: who is signed in, the theme, and the way out. */
export function UserMenu({ compact = false }: { compact?: boolean }) {
  const user = useCurrentUser();
  const { choice } = useTheme();
  const signOut = useSignOut();

  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button
          variant="ghost"
          className={cn("h-auto gap-2.5 px-2 py-1.5", compact ? "" : "w-full justify-start")}
          aria-label={compact ? `Account menu for ${user.username}` : undefined}
        >
          <Avatar name={user.username} />
          {!compact && (
            <span className="flex min-w-0 flex-col items-start text-left leading-tight">
              <span className="max-w-36 truncate font-medium text-sm">{user.username}</span>
              <span className="font-normal text-muted-foreground text-xs">{ROLE_LABELS[user.role]}</span>
            </span>
          )}
          <ChevronsUpDownIcon className="ml-auto text-muted-foreground" aria-hidden="true" />
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align={compact ? "end" : "start"} side={compact ? "bottom" : "top"} className="w-60">
        <DropdownMenuLabel className="flex items-center gap-2.5 font-normal">
          <Avatar name={user.username} />
          <span className="flex min-w-0 flex-col leading-tight">
            <span className="truncate font-medium text-sm">{user.username}</span>
            <span className="text-muted-foreground text-xs">{ROLE_LABELS[user.role]}</span>
          </span>
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuLabel className="py-1 font-normal text-muted-foreground text-xs">Theme</DropdownMenuLabel>
        <DropdownMenuRadioGroup value={choice} onValueChange={(value) => setTheme(value as ThemeChoice)}>
          <DropdownMenuRadioItem value="light">
            <SunIcon aria-hidden="true" />
            Light
          </DropdownMenuRadioItem>
          <DropdownMenuRadioItem value="dark">
            <MoonIcon aria-hidden="true" />
            Dark
          </DropdownMenuRadioItem>
          <DropdownMenuRadioItem value="system">
            <MonitorIcon aria-hidden="true" />
            System
          </DropdownMenuRadioItem>
        </DropdownMenuRadioGroup>
        <DropdownMenuSeparator />
        <DropdownMenuItem disabled={signOut.isPending} onSelect={() => signOut.mutate()}>
          <LogOutIcon aria-hidden="true" />
          Sign out
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
