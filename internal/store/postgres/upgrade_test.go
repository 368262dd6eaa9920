package postgres_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/openswf/openswf/internal/store/postgres/pgtest"
	"github.com/openswf/openswf/internal/store/upgradetest"
	"github.com/openswf/openswf/internal/swftest"
)

var (
	makeFixture = flag.Bool("make-fixture", false, "write a new upgrade fixture under testdata/upgrade (testdata/README.md)")
	fixtureName = flag.String("fixture-name", "", "with -make-fixture: the fixture's directory name instead of v<schema version>")
)

const fixtures = "testdata/upgrade"

// fixtureSchema stands for the schema's name in a fixture's dump.sql: the
// generator writes it in place of the test schema it dumped, and the test
// puts the name of a fresh schema in its place.
const fixtureSchema = "openswf_upgrade_fixture"

// TestUpgrade restores each committed fixture (a dump of a schema written
// by an earlier swf) into a fresh schema, opens it with this swf, and
// checks through the API that everything is there and still works.
func TestUpgrade(t *testing.T) {
	t.Setenv("SWF_TEST_DATABASE", "postgres")
	for _, src := range upgradetest.Dirs(t, fixtures) {
		t.Run(filepath.Base(src), func(t *testing.T) {
			fx := upgradetest.Load(t, src)
			dump, err := os.ReadFile(filepath.Join(src, "dump.sql"))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			// The schema swftest will use for dir; the dump creates it anew.
			schema := pgtest.SchemaOf(pgtest.SchemaFor(t, dir))
			restore(t, schema, dump)
			env := swftest.Start(t, swftest.WithDataDir(dir), swftest.WithClockAt(fx.StartAt()))
			upgradetest.Check(t, env, fx)
		})
	}
}

// restore drops schema and runs dump, with the fixture's schema name
// replaced by schema, on one connection. It runs the SQL between COPY
// blocks as it is (the simple protocol takes several statements at once)
// and each COPY block through the COPY protocol; psql's meta-commands
// (lines starting with a backslash, which pg_dump 17.6 and later write)
// are left out.
func restore(t *testing.T, schema string, dump []byte) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pgtest.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	dump = bytes.ReplaceAll(dump, []byte(fixtureSchema), []byte(schema))
	var sql strings.Builder
	flush := func() {
		t.Helper()
		if sql.Len() == 0 {
			return
		}
		if _, err := c.PgConn().Exec(ctx, sql.String()).ReadAll(); err != nil {
			t.Fatalf("restore: %v", err)
		}
		sql.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(dump))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "COPY ") && strings.HasSuffix(line, " FROM stdin;"):
			flush()
			var data bytes.Buffer
			for {
				if !sc.Scan() {
					t.Fatalf("restore: %s has no end (\\.)", line)
				}
				if sc.Text() == `\.` {
					break
				}
				data.WriteString(sc.Text())
				data.WriteByte('\n')
			}
			if _, err := c.PgConn().CopyFrom(ctx, &data, strings.TrimSuffix(line, ";")); err != nil {
				t.Fatalf("restore: %s: %v", line, err)
			}
		case strings.HasPrefix(line, `\`):
		default:
			sql.WriteString(line)
			sql.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	flush()
}

// TestMakeFixture writes a new fixture: go test ./internal/store/postgres
// -run TestMakeFixture -args -make-fixture (testdata/README.md). It needs
// pg_dump.
func TestMakeFixture(t *testing.T) {
	if !*makeFixture {
		t.Skip("writes a fixture only with -args -make-fixture")
	}
	t.Setenv("SWF_TEST_DATABASE", "postgres")
	dir := t.TempDir()
	env := swftest.Start(t, swftest.WithDataDir(dir))
	fx := upgradetest.Write(t, env)
	env.Close(t)
	schema := pgtest.SchemaOf(pgtest.SchemaFor(t, dir))

	ctx := context.Background()
	c, err := pgx.Connect(ctx, pgtest.URL())
	if err != nil {
		t.Fatal(err)
	}
	var version int
	err = c.QueryRow(ctx, "SELECT max(version) FROM "+pgx.Identifier{schema, "schema_migrations"}.Sanitize()).Scan(&version)
	c.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("pg_dump", "--dbname", pgtest.URL(), "--schema", schema, "--no-owner", "--no-privileges")
	cmd.Stderr = &stderr
	dump, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, stderr.Bytes())
	}
	if bytes.Contains(dump, []byte(fixtureSchema)) {
		t.Fatalf("the dump already holds %q, which stands for the schema's name", fixtureSchema)
	}
	dump = regexp.MustCompile(`\b`+regexp.QuoteMeta(schema)+`\b`).ReplaceAll(dump, []byte(fixtureSchema))
	out := upgradetest.NewDir(t, fixtures, version, *fixtureName)
	if err := os.WriteFile(filepath.Join(out, "dump.sql"), dump, 0o644); err != nil {
		t.Fatal(err)
	}
	fx.Store = "postgres"
	fx.SchemaVersion = version
	fx.WrittenBy = gitHead(t)
	fx.Note = fmt.Sprintf("dump.sql: pg_dump --schema --no-owner --no-privileges of a schema written by %s through upgradetest.Write, the schema named %s; never remade (testdata/README.md)",
		fx.WrittenBy, fixtureSchema)
	fx.Save(t, out)
	t.Logf("wrote %s", out)
}

// gitHead names the commit the fixture is written by, with "+changes"
// when the tree has uncommitted ones.
func gitHead(tb testing.TB) string {
	tb.Helper()
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		tb.Fatalf("git rev-parse HEAD: %v", err)
	}
	s := "openswf " + strings.TrimSpace(string(head))
	if diff, _ := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); len(diff) > 0 {
		s += "+changes"
	}
	return s
}
