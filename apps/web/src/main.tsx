import { QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { handleSessionLost } from "./features/auth/session";
import { queryClient, setSessionLostHandler, TRPCProvider, trpcClient } from "./lib/trpc";
import { router } from "./router";
import "./styles.css";

setSessionLostHandler(() => handleSessionLost(router));

const rootElement = document.getElementById("root");
if (!rootElement) throw new Error("index.html lacks the #root element.");

createRoot(rootElement).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <RouterProvider router={router} />
      </TRPCProvider>
    </QueryClientProvider>
  </StrictMode>,
);
