export * from "./enroll.js";
export * from "./fixture.js";
export * from "./limits.js";
export * from "./metrics.js";
export * from "./seed.js";
export * from "./simulator.js";
