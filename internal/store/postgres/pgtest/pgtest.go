// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema in the test server's database, dropped when the test ends.
//
// The server is $SWF_TEST_POSTGRES_URL, by default the machine's own
// (postgres://postgres@127.0.0.1:5432/test). When it cannot be reached, a
// test that asks for a schema is skipped, or fails under CI=true.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the test server when SWF_TEST_POSTGRES_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PoolSize is the most connections a store opened on a Schema URL keeps
// for reads (pool_max_conns): many tests run at once, each with its own
// stores, on a server that allows 100 connections by default.
const PoolSize = 4

// URL is the test server's URL.
func URL() string {
	if u := os.Getenv("SWF_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// staleAfter is how old a schema left by a test process that died before
// its cleanup (a killed run) must be before the next run drops it.
const staleAfter = 6 * time.Hour

var (
	reach    sync.Once
	reachErr error
)

// connect opens an administrative connection, skipping (or, under CI=true,
// failing) the test when the server cannot be reached. The first call of a
// process also drops stale test schemas.
func connect(tb testing.TB) *pgx.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, URL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL test server unreachable (CI=true, so this fails rather than skips): %v", err)
		}
		tb.Skipf("PostgreSQL test server unreachable (set SWF_TEST_POSTGRES_URL): %v", err)
	}
	reach.Do(func() { reachErr = dropStale(ctx, c) })
	if reachErr != nil {
		tb.Logf("dropping stale test schemas: %v", reachErr)
	}
	return c
}

// Schema names are t_<unix seconds>_<random hex>.
var schemaName = regexp.MustCompile(`^t_([0-9]+)_[0-9a-f]+$`)

func dropStale(ctx context.Context, c *pgx.Conn) error {
	rows, err := c.Query(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\_%'`)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		m := schemaName.FindStringSubmatch(n)
		if m == nil {
			continue
		}
		sec, _ := strconv.ParseInt(m[1], 10, 64)
		if time.Since(time.Unix(sec, 0)) > staleAfter {
			_, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{n}.Sanitize()+" CASCADE")
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Schema creates a fresh, empty schema and returns a URL whose connections
// use it (search_path) and whose read pool keeps at most PoolSize
// connections. The schema is dropped when the test ends.
func Schema(tb testing.TB) string {
	tb.Helper()
	return WithSchema(URL(), create(tb))
}

// SchemaFor is Schema keyed by a data directory: the first call for dir
// creates a schema and notes its name in dir, and later calls (a server
// restarted on the same dir) return the same schema, so a restart finds
// the data it left. The schema is dropped when the test of the first call
// ends.
func SchemaFor(tb testing.TB, dir string) string {
	tb.Helper()
	note := filepath.Join(dir, "postgres-schema")
	b, err := os.ReadFile(note)
	if err == nil {
		return WithSchema(URL(), strings.TrimSpace(string(b)))
	}
	if !errors.Is(err, fs.ErrNotExist) {
		tb.Fatal(err)
	}
	name := create(tb)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(note, []byte(name+"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	return WithSchema(URL(), name)
}

// create makes a new schema and registers its drop.
func create(tb testing.TB) string {
	tb.Helper()
	c := connect(tb)
	defer c.Close(context.Background())
	var r [6]byte
	rand.Read(r[:])
	name := fmt.Sprintf("t_%d_%s", time.Now().Unix(), hex.EncodeToString(r[:]))
	if _, err := c.Exec(context.Background(), "CREATE SCHEMA "+name); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() { Drop(tb, name) })
	return name
}

// Drop drops a schema and everything in it.
func Drop(tb testing.TB, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, URL())
	if err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
	}
}

// WithSchema returns rawURL with its search_path set to schema and its
// read pool bounded to PoolSize connections.
func WithSchema(rawURL, schema string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(fmt.Sprintf("pgtest: bad URL: %v", err))
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", strconv.Itoa(PoolSize))
	u.RawQuery = q.Encode()
	return u.String()
}

// SchemaOf returns the schema a URL made by WithSchema uses.
func SchemaOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Query().Get("search_path")
}
