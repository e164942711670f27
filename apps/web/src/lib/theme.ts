import { useSyncExternalStore } from "react";

/** Mirrors public/theme-init.js, which applies the stored choice before React starts. */
export type ThemeChoice = "light" | "dark" | "system";

const STORAGE_KEY = "rm-theme";
const darkQuery = window.matchMedia("(prefers-color-scheme: dark)");
const listeners = new Set<() => void>();

function readChoice(): ThemeChoice {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    return stored === "light" || stored === "dark" ? stored : "system";
  } catch {
    return "system";
  }
}

let choice: ThemeChoice = readChoice();

function resolved(): "light" | "dark" {
  return choice === "system" ? (darkQuery.matches ? "dark" : "light") : choice;
}

function apply(): void {
  document.documentElement.classList.toggle("dark", resolved() === "dark");
  for (const listener of listeners) listener();
}

darkQuery.addEventListener("change", () => {
  if (choice === "system") apply();
});

// Another tab changed the theme.
window.addEventListener("storage", (event) => {
  if (event.key === STORAGE_KEY) {
    choice = readChoice();
    apply();
  }
});

export function setTheme(next: ThemeChoice): void {
  choice = next;
  try {
    if (next === "system") window.localStorage.removeItem(STORAGE_KEY);
    else window.localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not persisted, still applied for this page.
  }
  apply();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The operator's choice and the theme actually shown. */
export function useTheme(): { choice: ThemeChoice; resolved: "light" | "dark" } {
  const current = useSyncExternalStore(subscribe, () => choice);
  const shown = useSyncExternalStore(subscribe, resolved);
  return { choice: current, resolved: shown };
}
