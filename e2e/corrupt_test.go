package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	_ "modernc.org/sqlite" // to write another program's database
)

// TestCorruptDatabaseRefused: `swf server` on a data directory whose
// swf.db is garbage, cut short, damaged in a few pages, or another program's
// SQLite database exits 1 at start with a message naming the file and what
// is wrong, and never serves, panics or changes the file.
func TestCorruptDatabaseRefused(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	good := t.TempDir()
	srv := startServer(t, good)
	c := newClient(srv.url)
	ctx := context.Background()
	registerCrashTypes(t, c)
	// Enough history to fill a few hundred pages, so that damaged pages
	// in the middle hold events, far from the schema.
	for i := range 40 {
		if _, err := c.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
			Domain: aws.String(crashDomain), WorkflowId: aws.String(fmt.Sprintf("wf-%d", i)),
			WorkflowType: &types.WorkflowType{Name: aws.String("loop"), Version: aws.String("1")},
			Input:        aws.String(strings.Repeat("x", 30000)),
		}); err != nil {
			t.Fatal(err)
		}
	}
	srv.stop() // SIGTERM: SQLite checkpoints the WAL into swf.db
	db, err := os.ReadFile(filepath.Join(good, "swf.db"))
	if err != nil {
		t.Fatal(err)
	}
	if len(db) < 64*4096 {
		t.Fatalf("swf.db is %d bytes; want a few hundred pages to damage one in the middle", len(db))
	}

	junk := make([]byte, 64<<10)
	rand.Read(junk)
	// Three pages between a third and two thirds of the file: one of them
	// at least is in use (a free page's bytes are nobody's to check).
	damaged := append([]byte(nil), db...)
	pages := len(db) / 4096
	for _, p := range []int{pages / 3, pages / 2, 2 * pages / 3} {
		rand.Read(damaged[p*4096 : (p+1)*4096])
	}

	for _, tc := range []struct {
		name  string
		write func(path string) error
		want  string
	}{
		{"garbage", func(p string) error { return os.WriteFile(p, junk, 0o644) }, "is not a SQLite database"},
		{"truncated", func(p string) error { return os.WriteFile(p, db[:len(db)/2], 0o644) }, "is corrupt"},
		{"damaged pages", func(p string) error { return os.WriteFile(p, damaged, 0o644) }, "is corrupt"},
		{"foreign", writeForeignDB, "is a SQLite database, but not swf's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "swf.db")
			if err := tc.write(path); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			out := serverRefuses(t, dir)
			for _, want := range []string{path, tc.want} {
				if !strings.Contains(out, want) {
					t.Errorf("swf server said\n%s\nwant it to say %q", out, want)
				}
			}
			for _, never := range []string{"panic", "goroutine ", "listening on"} {
				if strings.Contains(out, never) {
					t.Errorf("swf server said %q:\n%s", never, out)
				}
			}
			if after, err := os.ReadFile(path); err != nil || string(after) != string(before) {
				t.Errorf("swf.db changed (%v), want it left as it was", err)
			}
		})
	}
}

// serverRefuses runs `swf server` on dir, which must exit 1 at start,
// and returns what it said.
func serverRefuses(t *testing.T, dir string) string {
	t.Helper()
	out, err := runSwf(t, "server", "--listen", "127.0.0.1:0", "--data-dir", dir)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("swf server on %s: %v, want exit status 1\n%s", dir, err, out)
	}
	return out
}

// writeForeignDB writes a SQLite database of another program at path.
func writeForeignDB(path string) error {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`,
		`INSERT INTO notes (body) VALUES ('hello')`,
	} {
		if _, err := db.Exec(q); err != nil {
			return err
		}
	}
	return db.Close()
}
