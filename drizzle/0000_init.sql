CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_used_at` integer,
	`expires_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_user_idx` ON `api_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`actor_name` text,
	`action` text NOT NULL,
	`target_type` text,
	`target_id` text,
	`ip` text,
	`summary` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_at_idx` ON `audit_log` (`at`);--> statement-breakpoint
CREATE INDEX `audit_action_idx` ON `audit_log` (`action`);--> statement-breakpoint
CREATE TABLE `enrollment_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`hostname` text NOT NULL,
	`credentials_enc` blob NOT NULL,
	`created_by` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`expires_at` integer NOT NULL,
	`consumed_at` integer,
	`host_id` text,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `enrollment_tokens_hash_unique` ON `enrollment_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `host_credentials` (
	`host_id` text PRIMARY KEY NOT NULL,
	`repo_url` text NOT NULL,
	`repo_username` text,
	`password_enc` blob NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `hosts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`os` text,
	`arch` text,
	`reported_hostname` text,
	`agent_version` text,
	`restic_version` text,
	`restic_error` text,
	`protocol_version` integer,
	`agent_token_hash` text,
	`last_seen_at` integer,
	`config_version` integer DEFAULT 1 NOT NULL,
	`config_acked_version` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`revoked_at` integer,
	`last_backup_at` integer,
	`last_backup_status` text,
	`snapshot_count` integer DEFAULT 0 NOT NULL,
	`repo_size_bytes` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `hosts_agent_token_unique` ON `hosts` (`agent_token_hash`);--> statement-breakpoint
CREATE INDEX `hosts_status_idx` ON `hosts` (`status`);--> statement-breakpoint
CREATE INDEX `hosts_name_idx` ON `hosts` (`name`);--> statement-breakpoint
CREATE TABLE `job_logs` (
	`job_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` integer NOT NULL,
	`stream` text NOT NULL,
	`line` text NOT NULL,
	PRIMARY KEY(`job_id`, `seq`),
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`source_group_id` text,
	`actor` text NOT NULL,
	`actor_name` text,
	`params` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`dispatched_at` integer,
	`started_at` integer,
	`finished_at` integer,
	`stats` text,
	`progress` text,
	`exit_code` integer,
	`error` text,
	`last_seq` integer DEFAULT 0 NOT NULL,
	`log_lines` integer DEFAULT 0 NOT NULL,
	`log_bytes` integer DEFAULT 0 NOT NULL,
	`log_truncated` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`source_group_id`) REFERENCES `source_groups`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `jobs_host_idx` ON `jobs` (`host_id`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_host_kind_idx` ON `jobs` (`host_id`,`kind`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_status_idx` ON `jobs` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_kind_idx` ON `jobs` (`kind`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_created_idx` ON `jobs` (`created_at`);--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`ip` text,
	`user_agent` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `snapshots` (
	`host_id` text NOT NULL,
	`snapshot_id` text NOT NULL,
	`short_id` text NOT NULL,
	`time` integer NOT NULL,
	`hostname` text,
	`paths` text NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`summary` text,
	PRIMARY KEY(`host_id`, `snapshot_id`),
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `snapshots_host_time_idx` ON `snapshots` (`host_id`,`time`);--> statement-breakpoint
CREATE TABLE `source_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`name` text NOT NULL,
	`include_paths` text DEFAULT '[]' NOT NULL,
	`exclude_patterns` text DEFAULT '[]' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `source_groups_host_name_unique` ON `source_groups` (`host_id`,`name`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`password_hash` text NOT NULL,
	`role` text NOT NULL,
	`disabled_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_sign_in_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_unique` ON `users` (lower("username"));