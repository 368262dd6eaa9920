package shape

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// RawEvents are history events as the store keeps them: each element is
// one event's JSON, exactly what the wire sends for it. A decision task or
// a history page made of them goes out without decoding its events into
// HistoryEvent structs and encoding them again, the largest cost of a
// decision poll otherwise.
type RawEvents []json.RawMessage

// Decode returns the events as structs, for callers in this process that
// read them (the console, tests).
func (r RawEvents) Decode() ([]HistoryEvent, error) {
	out := make([]HistoryEvent, len(r))
	for i, b := range r {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, fmt.Errorf("history event %d: %w", i, err)
		}
	}
	return out, nil
}

// MarshalJSON sends RawEvents, when set, as the events member.
func (t *DecisionTask) MarshalJSON() ([]byte, error) {
	type plain DecisionTask
	if t.RawEvents == nil {
		return json.Marshal((*plain)(t))
	}
	c := *t
	c.Events = nil
	b, err := json.Marshal((*plain)(&c))
	if err != nil {
		return nil, err
	}
	return spliceEvents(b, t.RawEvents)
}

// MarshalJSON sends RawEvents, when set, as the events member.
func (h *History) MarshalJSON() ([]byte, error) {
	type plain History
	if h.RawEvents == nil {
		return json.Marshal((*plain)(h))
	}
	c := *h
	c.Events = nil
	b, err := json.Marshal((*plain)(&c))
	if err != nil {
		return nil, err
	}
	return spliceEvents(b, h.RawEvents)
}

// nullEvents starts the encoding of a struct whose first member, events,
// is nil: encoding/json writes members in field order.
const nullEvents = `{"events":null`

// spliceEvents puts raw in place of the null events member that starts b,
// so the answer has the members in the same order as with Events.
func spliceEvents(b []byte, raw RawEvents) ([]byte, error) {
	if !bytes.HasPrefix(b, []byte(nullEvents)) {
		return nil, fmt.Errorf("shape: events is not the first member of %s", b)
	}
	n := len(b) - len(nullEvents) + len(`{"events":[]`) + len(raw)
	for _, e := range raw {
		n += len(e)
	}
	out := make([]byte, 0, n)
	out = append(out, `{"events":[`...)
	for i, e := range raw {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, e...)
	}
	out = append(out, ']')
	return append(out, b[len(nullEvents):]...), nil
}
