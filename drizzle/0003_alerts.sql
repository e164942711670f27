CREATE TABLE `alert_channels` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`settings` text NOT NULL,
	`secret_enc` blob,
	`route_rules` text DEFAULT '[]' NOT NULL,
	`route_severities` text DEFAULT '[]' NOT NULL,
	`route_host_tags` text DEFAULT '[]' NOT NULL,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`last_delivered_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `alert_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`alert_id` text,
	`channel_id` text NOT NULL,
	`event` text NOT NULL,
	`attempt` integer DEFAULT 1 NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`error` text,
	`next_attempt_at` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`alert_id`) REFERENCES `alerts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`channel_id`) REFERENCES `alert_channels`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `alert_deliveries_due_idx` ON `alert_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `alert_deliveries_alert_idx` ON `alert_deliveries` (`alert_id`,`id`);--> statement-breakpoint
CREATE INDEX `alert_deliveries_channel_idx` ON `alert_deliveries` (`channel_id`,`id`);--> statement-breakpoint
CREATE TABLE `alert_rule_settings` (
	`scope` text NOT NULL,
	`host_id` text,
	`rule` text NOT NULL,
	`enabled` integer,
	`threshold` integer,
	`severity` text,
	`renotify_minutes` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`scope`, `rule`),
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`rule` text NOT NULL,
	`host_id` text NOT NULL,
	`source_group_id` text,
	`group_key` text DEFAULT '' NOT NULL,
	`severity` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`summary` text NOT NULL,
	`job_id` text,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`count` integer DEFAULT 1 NOT NULL,
	`acknowledged_by` text,
	`acknowledged_at` integer,
	`ack_note` text,
	`resolved_by` text,
	`resolved_at` integer,
	`resolved_how` text,
	`last_notified_at` integer,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`source_group_id`) REFERENCES `source_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_unresolved_unique` ON `alerts` (`rule`,`host_id`,`group_key`) WHERE status <> 'resolved';--> statement-breakpoint
CREATE INDEX `alerts_status_idx` ON `alerts` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `alerts_host_idx` ON `alerts` (`host_id`,`id`);--> statement-breakpoint
ALTER TABLE `source_groups` ADD `rpo_minutes` integer;