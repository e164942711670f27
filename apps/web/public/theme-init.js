// Applies the stored theme before the first paint. Kept in sync with src/lib/theme.ts.
(() => {
  let theme = "system";
  try {
    theme = localStorage.getItem("rm-theme") || "system";
  } catch {
    // Storage can be blocked; fall back to the system preference.
  }
  const dark = theme === "dark" || (theme !== "light" && matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.classList.toggle("dark", dark);
})();
