export * from "./channels.js";
export * from "./delivery.js";
export * from "./evaluator.js";
export * from "./lifecycle.js";
export * from "./message.js";
export * from "./rules.js";
export type { ChannelConfig, EmailSettings, NtfySettings, WebhookSettings } from "./senders.js";
export { SIGNATURE_HEADER, signWebhook } from "./senders.js";
