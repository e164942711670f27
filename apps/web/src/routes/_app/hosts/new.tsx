import { createFileRoute } from "@tanstack/react-router";
import { AddHostPage } from "../../../features/hosts/add-host-page";

export const Route = createFileRoute("/_app/hosts/new")({
  component: AddHostPage,
});
