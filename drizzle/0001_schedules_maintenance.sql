CREATE TABLE `host_repo_maintenance` (
	`host_id` text PRIMARY KEY NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`forget_cron` text,
	`prune_cron` text,
	`check_cron` text,
	`check_subset_pct` integer DEFAULT 5 NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `pending_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`schedule_id` text NOT NULL,
	`source_group_id` text NOT NULL,
	`slot_at` integer NOT NULL,
	`missed_slots` integer DEFAULT 1 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`schedule_id`) REFERENCES `schedules`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`source_group_id`) REFERENCES `source_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pending_runs_schedule_group_unique` ON `pending_runs` (`schedule_id`,`source_group_id`);--> statement-breakpoint
CREATE INDEX `pending_runs_next_idx` ON `pending_runs` (`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `pending_runs_host_idx` ON `pending_runs` (`host_id`);--> statement-breakpoint
CREATE TABLE `schedule_source_groups` (
	`schedule_id` text NOT NULL,
	`source_group_id` text NOT NULL,
	PRIMARY KEY(`schedule_id`, `source_group_id`),
	FOREIGN KEY (`schedule_id`) REFERENCES `schedules`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`source_group_id`) REFERENCES `source_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `ssg_group_idx` ON `schedule_source_groups` (`source_group_id`);--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`cron` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`accounted_until` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `schedules_host_idx` ON `schedules` (`host_id`);--> statement-breakpoint
ALTER TABLE `host_credentials` ADD `admin_username` text;--> statement-breakpoint
ALTER TABLE `host_credentials` ADD `admin_password_enc` blob;--> statement-breakpoint
ALTER TABLE `hosts` ADD `repo_raw_size_bytes` integer;--> statement-breakpoint
ALTER TABLE `hosts` ADD `repo_stats_at` integer;--> statement-breakpoint
ALTER TABLE `hosts` ADD `repo_lock_error` text;--> statement-breakpoint
ALTER TABLE `hosts` ADD `repo_lock_at` integer;--> statement-breakpoint
ALTER TABLE `hosts` ADD `timezone` text DEFAULT 'UTC' NOT NULL;--> statement-breakpoint
ALTER TABLE `hosts` ADD `bandwidth_up_kbps` integer;--> statement-breakpoint
ALTER TABLE `hosts` ADD `bandwidth_down_kbps` integer;--> statement-breakpoint
ALTER TABLE `hosts` ADD `schedule_version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `hosts` ADD `schedule_acked_version` integer;--> statement-breakpoint
ALTER TABLE `hosts` ADD `schedule_ack_error` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `schedule_id` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `scheduled_for` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `trigger` text DEFAULT 'manual' NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `limits` text;--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_schedule_slot_unique` ON `jobs` (`schedule_id`,`source_group_id`,`scheduled_for`);--> statement-breakpoint
CREATE INDEX `jobs_schedule_idx` ON `jobs` (`schedule_id`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_host_status_idx` ON `jobs` (`host_id`,`status`);--> statement-breakpoint
ALTER TABLE `source_groups` ADD `keep_last` integer;--> statement-breakpoint
ALTER TABLE `source_groups` ADD `keep_hourly` integer;--> statement-breakpoint
ALTER TABLE `source_groups` ADD `keep_daily` integer;--> statement-breakpoint
ALTER TABLE `source_groups` ADD `keep_weekly` integer;--> statement-breakpoint
ALTER TABLE `source_groups` ADD `keep_monthly` integer;--> statement-breakpoint
ALTER TABLE `source_groups` ADD `keep_yearly` integer;--> statement-breakpoint
ALTER TABLE `source_groups` ADD `keep_within` text;--> statement-breakpoint
ALTER TABLE `source_groups` ADD `retry_max` integer DEFAULT 5 NOT NULL;--> statement-breakpoint
ALTER TABLE `source_groups` ADD `retry_backoff_seconds` integer DEFAULT 300 NOT NULL;--> statement-breakpoint
ALTER TABLE `source_groups` ADD `pre_hook_enc` blob;--> statement-breakpoint
ALTER TABLE `source_groups` ADD `post_hook_enc` blob;--> statement-breakpoint
ALTER TABLE `source_groups` ADD `hook_timeout_seconds` integer DEFAULT 300 NOT NULL;