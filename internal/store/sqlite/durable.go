package sqlite

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// The writer connection runs with synchronous(NORMAL): SQLite writes each
// commit's WAL frames but does not flush them. The writer then flushes the
// WAL file itself (walFlusher.flush) before it answers anyone, so an
// answered change is as durable as under synchronous(FULL), while the
// flush waits off the CPU where the kernel allows (datasync_linux.go).
// Checkpoints still flush the WAL and the database inside SQLite.

// dataSyncer flushes a file's data to stable storage.
type dataSyncer interface {
	name() string
	datasync(f *os.File) error
	close()
}

// blockingSyncer flushes with a plain fdatasync(2) (fsync elsewhere).
type blockingSyncer struct{ reason string }

func (b blockingSyncer) name() string            { return "fdatasync (" + b.reason + ")" }
func (blockingSyncer) datasync(f *os.File) error { return fdatasync(f) }
func (blockingSyncer) close()                    {}

// walFlusher flushes the database's WAL file. SQLite creates the WAL at
// the first write and deletes it only when the database's last connection
// closes; the store holds its writer's connection from open to Close, so
// once the flusher has opened the WAL it keeps flushing that file without
// looking at the path again (a stat per flush was 3% of a round trip's
// server CPU). Until the WAL exists it flushes the database file.
type walFlusher struct {
	sync   dataSyncer
	dbPath string
	wal    *os.File
}

func newWALFlusher(dbPath string) *walFlusher {
	return &walFlusher{sync: newDataSyncer(filepath.Dir(dbPath)), dbPath: dbPath}
}

// flush makes every write the writer has made so far durable.
func (w *walFlusher) flush() error {
	f, err := w.file()
	if errors.Is(err, fs.ErrNotExist) {
		db, err := os.Open(w.dbPath)
		if err != nil {
			return err
		}
		defer db.Close()
		return w.sync.datasync(db)
	}
	if err != nil {
		return err
	}
	return w.sync.datasync(f)
}

func (w *walFlusher) file() (*os.File, error) {
	if w.wal != nil {
		return w.wal, nil
	}
	f, err := os.Open(w.dbPath + "-wal")
	if err != nil {
		return nil, err
	}
	w.wal = f
	return f, nil
}

func (w *walFlusher) close() {
	w.closeWAL()
	w.sync.close()
}

func (w *walFlusher) closeWAL() {
	if w.wal != nil {
		w.wal.Close()
		w.wal = nil
	}
}
