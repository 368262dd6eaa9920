package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openswf/openswf/internal/store"
)

// migrations are the schema's versions: migrations[i] takes a database from
// version i to version i+1. Open applies the missing ones in order, each in
// its own transaction. Never edit a released step: add a new one.
//
// Tables are created unqualified, in the first schema of the connection's
// search_path (public by default), so several stores can share a database
// in schemas of their own (the tests do).
//
// Records are JSON in text columns, as in the sqlite driver, not jsonb:
// jsonb refuses the escape \u0000 that Go writes for a NUL in an input or
// a result; it would parse and rebuild every record on the way in, and an
// open run's record is rewritten with every event; and nothing looks
// inside the JSON (the listings' filters have columns of their own).
// Keys and sorted columns use the "C" collation, byte order: the same
// order as SQLite's, so listings page through runs the same way on both,
// and the cheapest comparison.
var migrations = []string{
	// 1: the schema of the sqlite driver.
	`CREATE TABLE meta (key text COLLATE "C" PRIMARY KEY, value bytea NOT NULL);
	CREATE TABLE domains (name text COLLATE "C" PRIMARY KEY, data text NOT NULL);
	CREATE TABLE activity_types (domain text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL, version text COLLATE "C" NOT NULL,
		data text NOT NULL, PRIMARY KEY (domain, name, version));
	CREATE TABLE workflow_types (domain text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL, version text COLLATE "C" NOT NULL,
		data text NOT NULL, PRIMARY KEY (domain, name, version));
	-- An open run's row is rewritten with every event: room left on each
	-- page lets PostgreSQL update it in place (HOT), without index writes.
	CREATE TABLE executions (
		run_id text COLLATE "C" PRIMARY KEY,
		domain text COLLATE "C" NOT NULL,
		workflow_id text COLLATE "C" NOT NULL,
		open boolean NOT NULL,
		start_ms bigint NOT NULL,
		close_ms bigint NOT NULL,
		type_name text COLLATE "C" NOT NULL,
		type_version text COLLATE "C" NOT NULL,
		close_status text COLLATE "C" NOT NULL,
		tags text[] COLLATE "C" NOT NULL,
		data text NOT NULL
	) WITH (fillfactor = 80);
	CREATE INDEX executions_by_start ON executions (domain, open, start_ms, run_id);
	CREATE INDEX executions_by_close ON executions (domain, open, close_ms, run_id);
	CREATE INDEX executions_by_workflow ON executions (domain, workflow_id, start_ms);
	CREATE TABLE events (run_id text COLLATE "C" NOT NULL, event_id bigint NOT NULL, data text NOT NULL, PRIMARY KEY (run_id, event_id));
	-- Heartbeat progress has its own columns, so a heartbeat rewrites only
	-- them (in place: they are not indexed), never the data with its input.
	-- hb_at is Unix nanoseconds (timestamptz keeps microseconds only);
	-- hb_details is bytea because text cannot hold a NUL.
	CREATE TABLE activities (run_id text COLLATE "C" NOT NULL, scheduled_event_id bigint NOT NULL, data text NOT NULL,
		hb_at bigint, hb_details bytea, PRIMARY KEY (run_id, scheduled_event_id)) WITH (fillfactor = 80);
	CREATE TABLE timers (run_id text COLLATE "C" NOT NULL, timer_id text COLLATE "C" NOT NULL, data text NOT NULL,
		PRIMARY KEY (run_id, timer_id));`,
	// 2: shard leases, and the fence every write of a shard passes (lease.go).
	`CREATE TABLE shard_leases (
		shard integer PRIMARY KEY,
		owner text COLLATE "C" NOT NULL,
		epoch bigint NOT NULL,
		expires_at timestamptz NOT NULL
	);
	CREATE FUNCTION openswf_fence(p_owner text, p_shards integer[], p_epochs bigint[]) RETURNS void LANGUAGE plpgsql AS $$
	DECLARE
		lost text;
	BEGIN
		-- Lock the rows before reading them: a takeover (an UPDATE of the
		-- row) waits until this transaction ends, so it cannot slip in
		-- between the check and the writes that follow it.
		PERFORM 1 FROM shard_leases WHERE shard = ANY (p_shards) ORDER BY shard FOR SHARE;
		SELECT string_agg(f.shard || ':' || f.epoch, ',' ORDER BY f.shard, f.epoch) INTO lost
		FROM unnest(p_shards, p_epochs) AS f(shard, epoch)
		LEFT JOIN shard_leases l ON l.shard = f.shard
		WHERE l.owner IS DISTINCT FROM p_owner OR l.epoch IS DISTINCT FROM f.epoch;
		IF lost IS NOT NULL THEN
			RAISE EXCEPTION 'shard lease lost' USING ERRCODE = 'OSWF1', DETAIL = lost;
		END IF;
	END $$;`,
	// 3: each run's shard (store.ShardOf), so a node loads the open runs of
	// the shards it takes. Rows written before it are -1 until Open fills
	// them in (backfillShards).
	`ALTER TABLE executions ADD COLUMN shard integer NOT NULL DEFAULT -1;
	CREATE INDEX executions_open_by_shard ON executions (shard, run_id) WHERE open;`,
	// 4: the nodes of a cluster, each with the address others reach it at
	// and its last heartbeat in the database's clock (lease.go).
	`CREATE TABLE nodes (
		id text COLLATE "C" PRIMARY KEY,
		address text NOT NULL,
		heartbeat_at timestamptz NOT NULL,
		draining boolean NOT NULL DEFAULT false
	);`,
}

// backfillShards sets the shard of the runs written before executions had
// one (migration 3): ShardOf is Go's, so Go computes it, a thousand rows a
// statement. Later writes set it themselves.
func backfillShards(ctx context.Context, pool *pgxpool.Pool) error {
	for {
		rows, err := pool.Query(ctx, `SELECT run_id, domain, workflow_id FROM executions WHERE shard = -1 LIMIT 1000`)
		if err != nil {
			return err
		}
		var runIDs []string
		var shards []int32
		for rows.Next() {
			var runID, domain, workflowID string
			if err := rows.Scan(&runID, &domain, &workflowID); err != nil {
				rows.Close()
				return err
			}
			runIDs = append(runIDs, runID)
			shards = append(shards, store.ShardOf(domain, workflowID))
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(runIDs) == 0 {
			return err
		}
		if _, err := pool.Exec(ctx, `UPDATE executions e SET shard = f.shard FROM unnest($1::text[], $2::integer[]) AS f(run_id, shard)
			WHERE e.run_id = f.run_id`, runIDs, shards); err != nil {
			return err
		}
	}
}

// latestVersion is the schema version this binary writes.
var latestVersion = len(migrations)

// migrate brings the database's schema to latestVersion, one step per
// transaction. Each transaction first takes an advisory lock keyed by the
// schema, so processes starting at once apply each step once; the others
// wait, then find it applied. A database at a later version than this
// binary knows (written by a newer swf) is refused.
func migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	var schema *string
	var path string
	if err := pool.QueryRow(ctx, `SELECT current_schema(), current_setting('search_path')`).Scan(&schema, &path); err != nil {
		return err
	}
	if schema == nil {
		return fmt.Errorf("no schema of the search_path (%s) exists: create it, or name one that does", path)
	}
	for {
		done, err := migrateStep(ctx, pool, log, migrations)
		if err != nil || done {
			return err
		}
	}
}

// checkOwnSchema refuses a schema that another program uses, before swf
// writes anything to it: one whose schema_migrations is another tool's (as
// golang-migrate's, with version and dirty), whose version swf would
// misread, or one that holds tables and no schema_migrations at all. Two
// catalog queries, once per step at open.
func checkOwnSchema(ctx context.Context, tx pgx.Tx) error {
	var schema string
	var cols, tables []string
	if err := tx.QueryRow(ctx, `SELECT current_schema(),
		coalesce((SELECT array_agg(column_name::text ORDER BY column_name) FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = 'schema_migrations'), '{}'),
		coalesce((SELECT array_agg(table_name::text ORDER BY table_name) FROM information_schema.tables
			WHERE table_schema = current_schema()), '{}')`).Scan(&schema, &cols, &tables); err != nil {
		return err
	}
	switch {
	case len(cols) > 0 && strings.Join(cols, ",") != "applied_at,version":
		return fmt.Errorf("schema %q is not swf's: its schema_migrations has columns %s, where swf's has applied_at and version (another tool's migrations); give swf a schema of its own (search_path in the URL)", schema, strings.Join(cols, ", "))
	case len(cols) == 0 && len(tables) > 0:
		if len(tables) > 5 {
			tables = append(tables[:5], fmt.Sprintf("%d more", len(tables)-5))
		}
		return fmt.Errorf("schema %q is not swf's: it holds %s and no schema_migrations; give swf an empty schema of its own (search_path in the URL)", schema, strings.Join(tables, ", "))
	}
	return nil
}

// migrateStep applies the next missing step of steps, if any, and reports
// whether none was missing.
func migrateStep(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, steps []string) (done bool, err error) {
	var applied int
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('openswf schema ' || coalesce(current_schema(), '')))`); err != nil {
			return err
		}
		if err := checkOwnSchema(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var v int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
			return err
		}
		switch {
		case v > len(steps):
			return fmt.Errorf("the database schema is at version %d, newer than this swf's (version %d): it was written by a newer swf; run that version or a later one", v, len(steps))
		case v == len(steps):
			done = true
			return nil
		}
		if _, err := tx.Exec(ctx, steps[v]); err != nil {
			return fmt.Errorf("schema version %d: %w", v+1, err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v+1)
		applied = v + 1
		return err
	})
	if err == nil && !done {
		log.Info("database schema migrated", "version", applied)
	}
	return done, err
}
