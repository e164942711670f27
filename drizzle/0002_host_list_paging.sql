DROP INDEX `hosts_status_idx`;--> statement-breakpoint
DROP INDEX `hosts_name_idx`;--> statement-breakpoint
ALTER TABLE `hosts` ADD `attention_rank` integer GENERATED ALWAYS AS (CASE
        WHEN status = 'revoked' THEN 5
        WHEN last_backup_status IN ('failed', 'interrupted') THEN 0
        WHEN last_seen_at IS NULL THEN 2
        WHEN status <> 'online' THEN 1
        WHEN last_backup_at IS NULL THEN 3
        ELSE 4
      END) VIRTUAL;--> statement-breakpoint
CREATE INDEX `hosts_status_name_idx` ON `hosts` (`status`,`name`,`id`);--> statement-breakpoint
CREATE INDEX `hosts_name_search_idx` ON `hosts` (`name`,`id`,`reported_hostname`,`tags`);--> statement-breakpoint
CREATE INDEX `hosts_attention_idx` ON `hosts` (`attention_rank`,`name`,`id`);