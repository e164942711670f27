/** The host page's sections, in the URL as ?tab=. The first is the default. */
export const HOST_TABS = ["snapshots", "jobs", "sources", "settings"] as const;
export type HostTab = (typeof HOST_TABS)[number];
