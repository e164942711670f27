/** The host page's sections, in the URL as ?tab=. The first is the default. */
export const HOST_TABS = ["snapshots", "jobs", "sources", "schedules", "repo", "settings"] as const;
export type HostTab = (typeof HOST_TABS)[number];

/**
 * The host page's search: the tab, and on Sources and Schedules the form being shown
 * (`edit=new`, or the id of the group or schedule), so a row's edit page has an address.
 */
export interface HostSearch {
  tab?: HostTab;
  edit?: string;
}

export function parseHostSearch(search: Record<string, unknown>): HostSearch {
  const tab =
    typeof search.tab === "string" && (HOST_TABS as readonly string[]).includes(search.tab)
      ? (search.tab as HostTab)
      : undefined;
  const edit =
    (tab === "sources" || tab === "schedules") && typeof search.edit === "string" && /^[\w-]{1,64}$/.test(search.edit)
      ? search.edit
      : undefined;
  return { ...(tab ? { tab } : {}), ...(edit ? { edit } : {}) };
}
