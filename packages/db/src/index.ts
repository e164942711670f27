export * from "./client.js";
export * from "./ids.js";
export * as schema from "./schema.js";
export * from "./schema.js";
export * from "./storage.js";
