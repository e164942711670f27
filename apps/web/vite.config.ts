import tailwindcss from "@tailwindcss/vite";
import { tanstackRouter } from "@tanstack/router-plugin/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** Where `npm run dev` finds the API: the server started with `npm start` on its default port. */
const API = process.env.RM_DEV_API ?? "http://127.0.0.1:8080";

// Server-owned paths. No changeOrigin: the server's CSRF check compares Origin with the Host
// the browser addressed, which must stay the dev server's.
const proxied = ["/trpc", "/api", "/healthz", "/readyz", "/agent", "/install"];

export default defineConfig({
  plugins: [
    // Generates src/routeTree.gen.ts and splits each route's component into its own chunk.
    tanstackRouter({ target: "react", autoCodeSplitting: true }),
    react(),
    tailwindcss(),
  ],
  server: {
    proxy: {
      ...Object.fromEntries(proxied.map((path) => [path, { target: API }])),
      "/ws": { target: API, ws: true },
    },
  },
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    target: "es2022",
  },
});
