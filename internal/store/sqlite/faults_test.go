package sqlite

import (
	"context"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/openswf/openswf/internal/store"
)

// failOnce returns a fault hook that fails step once, with err, the
// first time it comes after arm is called.
func failOnce(step faultStep, err error) (hook func(faultStep) error, arm func()) {
	var armed atomic.Bool
	hook = func(s faultStep) error {
		if s == step && armed.CompareAndSwap(true, false) {
			return err
		}
		return nil
	}
	return hook, func() { armed.Store(true) }
}

// domainsIn reopens dir and lists its domains.
func domainsIn(t *testing.T, dir string) []string {
	t.Helper()
	s := openStore(t, dir)
	defer s.Close()
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range snap.Domains {
		names = append(names, d.Info.Name)
	}
	slices.Sort(names)
	return names
}

// A change whose commit fails (here: the disk is full) gets an error that
// says nothing of it was stored, and indeed nothing is: a reopened store
// has the changes before it and not it. Every later change is refused
// without being written, so none can land on top of the hole the failed
// one left in the engine's memory.
func TestCommitFailureStoresNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openStore(t, dir)
	hook, arm := failOnce(stepCommit, syscall.ENOSPC)
	s.fault = hook // before the first change: the writer reads it after a receive
	if err := store.Apply(s, domainChange("before")); err != nil {
		t.Fatal(err)
	}
	arm()
	err := store.Apply(s, domainChange("lost"))
	if err == nil {
		t.Fatal("the change whose commit failed was answered as stored")
	}
	wantErr(t, err, "write failed, nothing of it was stored", "no space left on device")
	// The disk has room again, but the store stays failed.
	err = store.Apply(s, domainChange("after"))
	if err == nil {
		t.Fatal("a change after the failure was written")
	}
	wantErr(t, err, "not written, because an earlier write failed", "no space left on device", "restart")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := domainsIn(t, dir); !slices.Equal(got, []string{"before"}) {
		t.Fatalf("after the restart the domains are %q, want only [before]", got)
	}
}

// A flush that fails after the commit fails the change too (its client
// must not be told it is durable); the error says it may survive or not.
// The store is failed from then on.
func TestFlushFailureFailsTheStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openStore(t, dir)
	hook, arm := failOnce(stepFlush, syscall.EIO)
	s.fault = hook
	if err := store.Apply(s, domainChange("before")); err != nil {
		t.Fatal(err)
	}
	arm()
	err := store.Apply(s, domainChange("unsure"))
	if err == nil {
		t.Fatal("the change whose flush failed was answered as durable")
	}
	wantErr(t, err, "flush failed after the commit", "may or may not survive", "input/output error")
	if err := store.Apply(s, domainChange("after")); err == nil {
		t.Fatal("a change after the failed flush was written")
	}
	s.Close()
	got := domainsIn(t, dir)
	if !slices.Contains(got, "before") || slices.Contains(got, "after") {
		t.Fatalf("after the restart the domains are %q, want before, maybe unsure, never after", got)
	}
}

// When a batch of concurrent changes fails and the changes are retried one
// by one, the first that fails again fails the store: the changes queued
// after it are refused, not written (one of them may be the next change of
// the same run). The ones before it stand.
func TestBatchRetryStopsAtFirstFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openStore(t, dir)
	holding, release := make(chan struct{}), make(chan struct{})
	var commits atomic.Int32
	s.fault = func(st faultStep) error {
		if st != stepCommit {
			return nil
		}
		switch commits.Add(1) {
		case 1: // "holder": keeps the writer busy while a, b and c queue up
			close(holding)
			<-release
			return nil
		case 2: // the batch of a, b and c
			return syscall.ENOSPC
		case 3: // a, retried alone
			return nil
		default: // b, retried alone; c must not get this far
			return syscall.ENOSPC
		}
	}
	holder := s.Submit(domainChange("holder"))
	<-holding
	a, b, c := s.Submit(domainChange("a")), s.Submit(domainChange("b")), s.Submit(domainChange("c"))
	close(release)
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	if err := <-a; err != nil {
		t.Fatalf("a, written alone after the batch failed: %v", err)
	}
	if err := <-b; err == nil {
		t.Fatal("b was answered as stored")
	} else {
		wantErr(t, err, "write failed, nothing of it was stored")
	}
	if err := <-c; err == nil {
		t.Fatal("c, after b failed, was answered as stored")
	} else {
		wantErr(t, err, "not written, because an earlier write failed")
	}
	if n := commits.Load(); n != 4 {
		t.Errorf("%d commits tried, want 4 (holder, the batch, a, b): c must not be tried", n)
	}
	s.Close()
	if got := domainsIn(t, dir); !slices.Equal(got, []string{"a", "holder"}) {
		t.Fatalf("after the restart the domains are %q, want [a holder]", got)
	}
}
