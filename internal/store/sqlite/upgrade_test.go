package sqlite_test

import (
	"database/sql"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openswf/openswf/internal/store/upgradetest"
	"github.com/openswf/openswf/internal/swftest"
)

var (
	makeFixture = flag.Bool("make-fixture", false, "write a new upgrade fixture under testdata/upgrade (testdata/README.md)")
	fixtureName = flag.String("fixture-name", "", "with -make-fixture: the fixture's directory name instead of v<schema version>")
)

const fixtures = "testdata/upgrade"

// TestUpgrade opens a copy of each committed fixture (a database written
// by an earlier swf) with this one, and checks through the API that
// everything is there and still works.
func TestUpgrade(t *testing.T) {
	t.Setenv("SWF_TEST_DATABASE", "sqlite")
	for _, src := range upgradetest.Dirs(t, fixtures) {
		t.Run(filepath.Base(src), func(t *testing.T) {
			fx := upgradetest.Load(t, src)
			dir := t.TempDir()
			copyFile(t, filepath.Join(src, "swf.db"), filepath.Join(dir, "swf.db"))
			env := swftest.Start(t, swftest.WithDataDir(dir), swftest.WithClockAt(fx.StartAt()))
			upgradetest.Check(t, env, fx)
		})
	}
}

// TestMakeFixture writes a new fixture: go test ./internal/store/sqlite
// -run TestMakeFixture -args -make-fixture (testdata/README.md).
func TestMakeFixture(t *testing.T) {
	if !*makeFixture {
		t.Skip("writes a fixture only with -args -make-fixture")
	}
	t.Setenv("SWF_TEST_DATABASE", "sqlite")
	dir := t.TempDir()
	env := swftest.Start(t, swftest.WithDataDir(dir))
	fx := upgradetest.Write(t, env)
	env.Close(t)

	// Fold the WAL into the database file, then read the version the
	// binary left (0 before versioned migrations: schema version 1).
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "swf.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	var version int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if version == 0 {
		version = 1
	}
	out := upgradetest.NewDir(t, fixtures, version, *fixtureName)
	copyFile(t, filepath.Join(dir, "swf.db"), filepath.Join(out, "swf.db"))
	fx.Store = "sqlite"
	fx.SchemaVersion = version
	fx.WrittenBy = gitHead(t)
	fx.Note = "swf.db written by " + fx.WrittenBy + " through upgradetest.Write; never remade (testdata/README.md)"
	fx.Save(t, out)
	t.Logf("wrote %s", out)
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	in, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
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
