/**
 * The shared components, shadcn/ui style. Apps import one component per subpath
 * (`@restic-manager/ui/button`) so each route chunk pulls only what it renders; this barrel
 * exists for convenience in tests and scripts.
 */
export * from "./alert";
export * from "./alert-dialog";
export * from "./badge";
export * from "./button";
export * from "./card";
export * from "./checkbox";
export * from "./cn";
export * from "./dialog";
export * from "./dropdown-menu";
export * from "./input";
export * from "./label";
export * from "./native-select";
export * from "./popover";
export * from "./progress";
export * from "./separator";
export * from "./skeleton";
export * from "./switch";
export * from "./table";
export * from "./tabs";
export * from "./textarea";
export * from "./tooltip";
