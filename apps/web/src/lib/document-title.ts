import { useEffect } from "react";

/** "API tokens · restic-manager" in the tab and the browser history. */
export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · restic-manager`;
    return () => {
      document.title = "restic-manager";
    };
  }, [title]);
}
