package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/openswf/openswf/internal/store/postgres/pgtest"
)

// A schema that another program uses is refused at start, naming what it
// holds, and left as it was: one with tables of its own and no
// schema_migrations, and one whose schema_migrations is another tool's
// (golang-migrate's version and dirty), whose version swf would misread.
func TestMigrationsRefuseForeign(t *testing.T) {
	for name, tc := range map[string]struct {
		setup []string
		want  string
	}{
		"tables": {[]string{`CREATE TABLE notes (id int PRIMARY KEY, body text)`, `INSERT INTO notes VALUES (1, 'hello')`},
			"it holds notes and no schema_migrations"},
		"another tool's migrations": {[]string{`CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)`, `INSERT INTO schema_migrations VALUES (3, false)`},
			"its schema_migrations has columns dirty, version"},
	} {
		t.Run(name, func(t *testing.T) {
			url := pgtest.Schema(t)
			c := connect(t, url)
			ctx := context.Background()
			for _, q := range tc.setup {
				if _, err := c.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			s, err := Open(ctx, url, quiet)
			if err == nil {
				s.Close()
				t.Fatal("opened another program's schema, want an error")
			}
			t.Logf("Open: %v", err)
			for _, want := range []string{"is not swf's", tc.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got error %q, want it to say %q", err, want)
				}
			}
			var tables int
			if err := c.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil {
				t.Fatal(err)
			}
			if tables != 1 {
				t.Errorf("the schema holds %d tables after the refusal, want its 1 left alone", tables)
			}
		})
	}
}
