package sqlite

import (
	"database/sql"
	"time"
)

// checkpointEvery is how often the checkpointer copies committed WAL
// frames into the database file, when anything was committed meanwhile.
const checkpointEvery = 200 * time.Millisecond

// checkpointer copies the WAL into the database file on a connection of
// its own. SQLite's automatic checkpoint would run inside whichever COMMIT
// crosses 1000 WAL pages: copying ~4 MiB and flushing the WAL and the
// database while every caller of that batch, and everyone queued behind
// it, waits. Here the writer never checkpoints (wal_autocheckpoint(0));
// a PASSIVE checkpoint copies what no reader still needs and never blocks
// the writer. The writer restarts the WAL from its start once a checkpoint
// has copied all of it, so the file stays about as large as
// checkpointEvery's worth of commits.
func (s *Store) checkpointer(db *sql.DB) {
	defer close(s.ckptDone)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	var seen uint64
	for {
		select {
		case <-s.ckptStop:
			return
		case <-tick.C:
		}
		n := s.commits.Load()
		if n == seen {
			continue
		}
		seen = n
		if _, err := db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			s.log.Warn("wal checkpoint failed; retrying on the next tick", "err", err)
			seen = 0
		}
	}
}
