package engine

import (
	"context"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/clock"
)

func TestTaskListOrder(t *testing.T) {
	t.Parallel()
	var l taskList
	for i, prio := range []int32{0, 5, 0, -1, 5} {
		l.push(&pending{scheduledEventID: int64(i + 1), priority: prio})
	}
	var got []int64
	for p := l.pop(); p != nil; p = l.pop() {
		got = append(got, p.scheduledEventID)
	}
	want := []int64{2, 5, 1, 3, 4} // priority first, then first scheduled first
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestTaskListRemove(t *testing.T) {
	t.Parallel()
	var l taskList
	a, b := &pending{scheduledEventID: 1}, &pending{scheduledEventID: 2}
	l.push(a)
	l.push(b)
	l.remove(a)
	l.remove(a) // twice is harmless
	if l.count() != 1 || l.pop() != b || l.pop() != nil {
		t.Fatal("got the removed task back, want only the other")
	}
}

func TestTaskListWait(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Unix(0, 0))
	drain := make(chan struct{})

	t.Run("WokenByPush", func(t *testing.T) {
		var l taskList
		done := make(chan error)
		go func() { done <- l.wait(context.Background(), clk, clk.Now().Add(time.Minute), drain, 10) }()
		waitFor(t, func() bool { l.mu.Lock(); defer l.mu.Unlock(); return len(l.waiters) == 1 })
		l.push(&pending{})
		if err := recv(t, done); err != nil {
			t.Fatalf("got %v, want nil", err)
		}
	})
	t.Run("Deadline", func(t *testing.T) {
		var l taskList
		done := make(chan error)
		go func() { done <- l.wait(context.Background(), clk, clk.Now().Add(time.Minute), drain, 10) }()
		waitFor(t, func() bool { l.mu.Lock(); defer l.mu.Unlock(); return len(l.waiters) == 1 })
		clk.Advance(time.Minute)
		if err := recv(t, done); err != errPollTimeout {
			t.Fatalf("got %v, want errPollTimeout", err)
		}
	})
	t.Run("TooManyPollers", func(t *testing.T) {
		var l taskList
		l.waiters = make([]chan struct{}, 3)
		if err := l.wait(context.Background(), clk, clk.Now().Add(time.Minute), drain, 3); err == nil || err == errPollTimeout {
			t.Fatalf("got %v, want LimitExceededFault", err)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

func recv(t *testing.T, c chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("no answer in 5 s")
		return nil
	}
}
