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

// walFlusher flushes the database's WAL file. SQLite deletes the WAL when
// its last connection closes (after checkpointing it into the database)
// and creates a new one on the next write, so each flush checks that the
// path still names the file it holds, and flushes the database file when
// there is no WAL.
type walFlusher struct {
	sync   dataSyncer
	dbPath string
	wal    *os.File
	walID  os.FileInfo
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
	st, err := os.Stat(w.dbPath + "-wal")
	if err != nil {
		return nil, err
	}
	if w.wal != nil && os.SameFile(st, w.walID) {
		return w.wal, nil
	}
	w.closeWAL()
	f, err := os.Open(w.dbPath + "-wal")
	if err != nil {
		return nil, err
	}
	if w.walID, err = f.Stat(); err != nil {
		f.Close()
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
