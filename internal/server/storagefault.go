package server

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/google/uuid"
	"github.com/openswf/openswf/internal/swf"
)

// storageFailure is what the server knows of a failed write: once the
// store could not make a change durable, the engine's memory is ahead of
// the disk and nothing it says can be trusted, so every later call is
// refused (guard) and the process stops (StorageFailed, which `swf server`
// watches). A restart loads what is durable. docs/decisions.md, "A failed
// write stops the server", says why it does not carry on.
type storageFailure struct {
	mu  sync.Mutex
	ch  chan struct{} // closed on the first failure
	err error
}

func (f *storageFailure) done() chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ch == nil {
		f.ch = make(chan struct{})
	}
	return f.ch
}

// storageFailed is the engine's FatalFunc. It must not wait for the
// server to stop: the call that failed is still to be answered.
func (s *Server) storageFailed(err error) {
	ch := s.failure.done()
	s.failure.mu.Lock()
	defer s.failure.mu.Unlock()
	if s.failure.err != nil {
		return
	}
	s.failure.err = err
	s.cfg.Log.Error("storage failed: refusing every call from now on, and stopping; restart the server once the fault is cleared", "err", err)
	close(ch)
}

// StorageFailed is closed when a change could not be made durable. The
// server then answers every call with a ServiceUnavailableException; its
// owner should Close it and start it again (`swf server` exits 70).
func (s *Server) StorageFailed() <-chan struct{} { return s.failure.done() }

// guard answers every request with a ServiceUnavailableException once
// storage failed, before it reaches the engine: a read could otherwise
// show an effect that only memory holds.
func (s *Server) guard(h http.Handler) http.Handler {
	failed := s.failure.done()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-failed:
		default:
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("x-amzn-RequestId", uuid.NewString())
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]string{
			"__type":  "com.amazon.coral.availability#" + swf.ServiceUnavailable,
			"message": "storage failed, so this server has stopped serving; it must be restarted once the fault is cleared",
		})
	})
}
