package swftest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// Exchange is one answer the server gave to a client of this package, as the
// client received it.
type Exchange struct {
	// Operation is the X-Amz-Target of the request without the
	// "SimpleWorkflowService." prefix (the whole header if it lacks the
	// prefix, "" if the request had none).
	Operation string
	Status    int
	Body      []byte
}

// Recorder collects the answers to every request sent through the clients of
// this package (Env.SWF, NewClient, NewClientAs, Env.Raw) and through
// RecordTransport while it is installed. It is safe for concurrent use.
type Recorder struct {
	mu        sync.Mutex
	exchanges []Exchange
}

var recorder atomic.Pointer[Recorder]

// Record installs a new Recorder and returns it; answers are recorded from
// then on, in every Env of the process. Call it from TestMain before m.Run,
// and read Exchanges after: a package whose every test may send requests
// then sees all of them, whichever subset -run selects.
func Record() *Recorder {
	r := &Recorder{}
	recorder.Store(r)
	return r
}

// Exchanges returns a copy of the answers recorded so far, in the order
// their bodies were read.
func (r *Recorder) Exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Exchange, len(r.exchanges))
	copy(out, r.exchanges)
	return out
}

func (r *Recorder) add(x Exchange) {
	r.mu.Lock()
	r.exchanges = append(r.exchanges, x)
	r.mu.Unlock()
}

// RecordTransport wraps next so that, while a Recorder is installed, the
// answers to its requests are recorded. A test that builds its own HTTP
// client (another SDK, say) uses it to have its answers checked too.
func RecordTransport(next http.RoundTripper) http.RoundTripper {
	return recordingTransport{next: next}
}

type recordingTransport struct{ next http.RoundTripper }

func (t recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := recorder.Load()
	target := req.Header.Get("X-Amz-Target")
	res, err := t.next.RoundTrip(req)
	if r == nil || err != nil {
		return res, err
	}
	// Read the whole answer here so that the client gets the same bytes
	// and the recorder sees them whether or not the client reads to EOF.
	body, rerr := io.ReadAll(res.Body)
	res.Body.Close()
	if rerr != nil {
		// Hand the client what was read and then the same error, as
		// the original body would have.
		res.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{rerr}))
		return res, nil
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	r.add(Exchange{
		Operation: strings.TrimPrefix(target, "SimpleWorkflowService."),
		Status:    res.StatusCode,
		Body:      body,
	})
	return res, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
