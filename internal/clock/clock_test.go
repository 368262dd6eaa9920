package clock

import (
	"testing"
	"time"
)

func TestFakeAdvanceRunsDueInOrder(t *testing.T) {
	t.Parallel()
	c := NewFake(time.Unix(0, 0))
	var got []int
	c.AfterFunc(2*time.Second, func() { got = append(got, 2) })
	c.AfterFunc(1*time.Second, func() { got = append(got, 1) })
	stopped := c.AfterFunc(1500*time.Millisecond, func() { got = append(got, 99) })
	if !stopped.Stop() {
		t.Fatal("got Stop false for a pending callback, want true")
	}
	c.Advance(time.Second)
	if len(got) != 1 || got[0] != 1 {
		t.Fatalf("got %v after 1 s, want [1]", got)
	}
	c.Advance(5 * time.Second)
	if len(got) != 2 || got[1] != 2 {
		t.Fatalf("got %v, want [1 2]", got)
	}
	if want := time.Unix(6, 0); !c.Now().Equal(want) {
		t.Fatalf("got now %v, want %v", c.Now(), want)
	}
}

func TestFakeCallbackSeesItsDeadline(t *testing.T) {
	t.Parallel()
	c := NewFake(time.Unix(0, 0))
	var at time.Time
	c.AfterFunc(3*time.Second, func() { at = c.Now() })
	c.Advance(time.Hour)
	if !at.Equal(time.Unix(3, 0)) {
		t.Fatalf("got %v inside the callback, want the deadline %v", at, time.Unix(3, 0))
	}
}

func TestFakeAdvanceToNext(t *testing.T) {
	t.Parallel()
	c := NewFake(time.Unix(0, 0))
	ran := false
	c.AfterFunc(time.Minute, func() { ran = true })
	if !c.AdvanceToNext() || !ran || c.Pending() != 0 {
		t.Fatal("got the callback not run, want it run")
	}
	if c.AdvanceToNext() {
		t.Fatal("got true with nothing pending, want false")
	}
}
