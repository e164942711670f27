/**
 * Where to go after signing in. Only a path on this origin is accepted: "//evil.example",
 * "/\\evil.example", "https://…" and "javascript:…" all fall back to the dashboard.
 */
export function safeRedirect(target: unknown, origin: string = window.location.origin): string {
  if (typeof target !== "string" || !target.startsWith("/") || target.startsWith("//") || target.startsWith("/\\")) {
    return "/";
  }
  try {
    const url = new URL(target, origin);
    if (url.origin !== origin) return "/";
    const path = `${url.pathname}${url.search}${url.hash}`;
    // Never bounce back into the sign-in pages.
    return /^\/(signin|setup)(\/|$)/.test(url.pathname) ? "/" : path;
  } catch {
    return "/";
  }
}
