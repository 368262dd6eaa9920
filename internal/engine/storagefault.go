package engine

import "github.com/openswf/openswf/internal/swf"

// storageFault is the answer to a call whose change the store could not
// make durable (the disk is full, a write or a flush failed). It is a 503
// ServiceUnavailableException, the retryable fault AWS sends when the
// service cannot serve a call for now, rather than InternalFailure, whose
// message the wire layer hides: the caller, and the operator reading the
// client's error, learn that storage failed and why. The engine has called
// Config.FatalFunc, so the server stops and restarts from what is durable
// (docs/decisions.md, "A failed write stops the server").
func storageFault(err error) error {
	return swf.NewFault(swf.ServiceUnavailable, "storage failed, so this change is not durable: %v. The server is stopping so that a restart resumes from its last durable state; retry then", err)
}

// storageFailed reports a write the store could not make durable: the
// server stops (Config.FatalFunc) and the caller gets storageFault.
func (e *Engine) storageFailed(err error) error {
	e.cfg.FatalFunc(err)
	return storageFault(err)
}
