import { useQuery } from "@tanstack/react-query";
import { Link, Outlet, useRouter } from "@tanstack/react-router";
import { useEffect } from "react";
import { Brand } from "../../components/brand";
import { useTRPC } from "../../lib/trpc";
import { useCurrentUser } from "../auth/current-user";
import { sectionsFor } from "./nav";
import { UserMenu } from "./user-menu";

const linkClass =
  "flex items-center gap-2.5 rounded-md px-2.5 py-1.5 text-sm text-muted-foreground outline-none transition-colors hover:bg-sidebar-accent hover:text-sidebar-accent-foreground focus-visible:ring-[3px] focus-visible:ring-ring/50 data-[status=active]:bg-sidebar-accent data-[status=active]:font-medium data-[status=active]:text-sidebar-accent-foreground [&_svg]:size-4 [&_svg]:shrink-0";

/** The signed-in frame: sidebar navigation on wide screens, a top bar on narrow ones. */
export function AppShell() {
  const user = useCurrentUser();
  const sections = sectionsFor(user.role);
  useSessionWatch();

  return (
    <div className="flex min-h-dvh">
      <aside className="sticky top-0 hidden h-dvh w-60 shrink-0 flex-col border-sidebar-border border-r bg-sidebar text-sidebar-foreground md:flex">
        <div className="flex h-14 items-center px-4">
          <Link to="/" className="rounded-md outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50">
            <Brand />
          </Link>
        </div>
        <nav aria-label="Main" className="flex flex-1 flex-col gap-5 overflow-y-auto px-3 py-3">
          {sections.map((section) => (
            <div key={section.label} className="flex flex-col gap-0.5">
              <h2 className="px-2.5 pb-1 font-medium text-muted-foreground/80 text-xs">{section.label}</h2>
              {section.items.map((item) => (
                <Link key={item.to} to={item.to} activeOptions={{ exact: item.exact ?? false }} className={linkClass}>
                  <item.icon aria-hidden="true" />
                  {item.label}
                </Link>
              ))}
            </div>
          ))}
        </nav>
        <div className="border-sidebar-border border-t p-2">
          <UserMenu />
        </div>
      </aside>

      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-30 border-b bg-background/95 backdrop-blur md:hidden">
          <div className="flex h-14 items-center justify-between px-4">
            <Link to="/">
              <Brand />
            </Link>
            <UserMenu compact />
          </div>
          <nav aria-label="Main" className="flex gap-1 overflow-x-auto px-3 pb-2">
            {sections.flatMap((section) =>
              section.items.map((item) => (
                <Link
                  key={item.to}
                  to={item.to}
                  activeOptions={{ exact: item.exact ?? false }}
                  className={`${linkClass} shrink-0`}
                >
                  <item.icon aria-hidden="true" />
                  {item.label}
                </Link>
              )),
            )}
          </nav>
        </header>
        <main className="mx-auto w-full max-w-6xl flex-1 px-4 py-6 md:px-8 md:py-10">
          <Outlet />
        </main>
      </div>
    </div>
  );
}

/**
 * auth.status refetches when the tab regains focus; once it reports no user (session expired
 * or revoked elsewhere) re-run the layout guard, which sends the visitor to sign in.
 */
function useSessionWatch() {
  const trpc = useTRPC();
  const router = useRouter();
  const { data } = useQuery(trpc.auth.status.queryOptions());
  const signedOut = data !== undefined && data.user === null;
  useEffect(() => {
    if (signedOut) void router.invalidate();
  }, [signedOut, router]);
}
