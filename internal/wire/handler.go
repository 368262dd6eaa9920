// Package wire speaks the AWS JSON 1.0 protocol of Amazon SWF: it routes a
// request by its X-Amz-Target header, decodes and validates the body against
// the model (package shape), calls the engine method named after the
// operation, and encodes the result or the fault the way the AWS SDKs expect.
//
// The handler makes no state decisions; everything past validation is the
// engine's.
package wire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/swf"
)

// targetPrefix starts the X-Amz-Target of every SWF call; the operation
// name follows it.
const targetPrefix = "SimpleWorkflowService."

// legacyTargetPrefix is the X-Amz-Target prefix boto 2 (and frameworks
// built on it, such as older simpleflow) send; AWS answers it like the
// short one, with Content-Type application/json.
const legacyTargetPrefix = "com.amazonaws.swf.service.model.SimpleWorkflowService."

// contentType is what AWS answers for the JSON 1.0 protocol.
const contentType = "application/x-amz-json-1.0"

// requestIDKey is x-amzn-RequestId as Header.Set would store it, stored
// directly: Set would canonicalize the name into a new string on every
// call.
var requestIDKey = textproto.CanonicalMIMEHeaderKey("x-amzn-RequestId")

// internalMessage is all a client learns of an internal error; the detail
// goes to the log under the same request id.
const internalMessage = "We encountered an internal error. Please try again."

// Handler is the http.Handler for the SWF API. It is safe for concurrent
// use; long polls simply block in the engine for as long as it decides.
type Handler struct {
	routes   map[string]*route
	log      *slog.Logger
	maxBytes int64
	authz    authorizer       // the engine's Authorize, if it has one
	scope    scoper           // the engine's Scope, if it has one
	creds    *auth.Config     // nil: no signature checks (AllowAll)
	now      func() time.Time // the clock signatures are checked against
	obs      Observer         // nil: no metrics
	forward  Forwarder        // nil: one node, nothing to forward to

	faultLines lineLimiter // bounds the WARN lines of faults
}

// faultLinesPerSecond bounds the WARN lines faults write. A flood of bad
// requests (bad signatures, oversized bodies, unknown tokens) would
// otherwise write a line each: the log, not the server, would be what the
// flood fills. The metrics count every fault; the log keeps the first
// lines of each second and says in the next line it writes how many it
// left out.
const faultLinesPerSecond = 20

// lineLimiter lets faultLinesPerSecond lines through each second.
type lineLimiter struct {
	mu      sync.Mutex
	second  int64 // the Unix second counted
	written int   // lines written in it
	dropped int64 // lines left out since the last one written
}

// allow reports whether a line may be written now, and if so how many
// were left out before it.
func (l *lineLimiter) allow(now time.Time) (bool, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := now.Unix(); s != l.second {
		l.second, l.written = s, 0
	}
	if l.written >= faultLinesPerSecond {
		l.dropped++
		return false, 0
	}
	l.written++
	dropped := l.dropped
	l.dropped = 0
	return true, dropped
}

// Observer is told of every request once it is answered: its operation
// ("" when the target named none of the model's), the fault's name (""
// for a success) and how long it took. It runs on every call, heartbeats
// included, so it must be fast and must not block.
type Observer interface {
	ObserveRequest(op, fault string, took time.Duration)
}

// Forwarder passes a call the engine answered with swf.NotOwner (before
// doing anything) to the node that serves the shard, and writes that
// node's answer; it reports whether it did, and that answer's status
// (cluster.Peers). An error means the call reached the owner but no
// answer came back: its outcome is unknown, and nothing was written.
type Forwarder interface {
	Forward(w http.ResponseWriter, r *http.Request, body []byte, shard int32) (int, bool, error)
	// HandoverWait is how long call r may wait for a shard being handed
	// over to be served again, here or elsewhere, before its caller gets
	// the retryable fault.
	HandoverWait(r *http.Request) time.Duration
}

// handoverPoll is how often a call waiting for a shard's handover asks
// the engine again.
const handoverPoll = 50 * time.Millisecond

// ForwardTo makes the handler forward calls for other nodes' shards
// through f. Call it before serving.
func (h *Handler) ForwardTo(f Forwarder) { h.forward = f }

// Observe makes the handler report every request to o. Call it before
// serving.
func (h *Handler) Observe(o Observer) { h.obs = o }

// authorizer is the engine's API-level access check.
type authorizer interface {
	Authorize(ctx context.Context, op string, in any) error
}

// scoper places a decoded input in the region of the call (the engine's
// Scope): domains are kept per region.
type scoper interface {
	Scope(ctx context.Context, in any)
}

// RequireSignatures makes the handler verify every request's SigV4
// signature against creds and attach the signing principal to the
// request's context, so the engine checks its policies. now is the clock
// for the signing-time window. Without it every request runs unrestricted
// (auth.AllowAll): the server only allows that on loopback.
func (h *Handler) RequireSignatures(creds *auth.Config, now func() time.Time) {
	h.creds, h.now = creds, now
}

// New builds a Handler over eng, usually an *engine.Engine. For each of the
// model's operations it looks up the method of eng with the operation's
// exact name, of the form
//
//	Op(context.Context, *shape.OpInput) (*shape.OpOutput, error)
//	Op(context.Context, *shape.OpInput) error // operations without output
//
// Operations eng lacks answer UnknownOperationException ("not supported by
// this server yet"). A method with such a name but another signature is an
// error, so that a mistake shows at start-up. A nil log means slog.Default;
// limits supplies MaxRequestBytes (the default when not positive).
func New(eng any, log *slog.Logger, limits swf.Limits) (*Handler, error) {
	routes, err := buildRoutes(eng)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	maxBytes := limits.MaxRequestBytes
	if maxBytes <= 0 {
		maxBytes = swf.DefaultLimits().MaxRequestBytes
	}
	h := &Handler{routes: routes, log: log, maxBytes: maxBytes, now: time.Now}
	h.authz, _ = eng.(authorizer)
	h.scope, _ = eng.(scoper)
	return h, nil
}

// NewHandler is New for callers that treat a wrongly typed engine method as
// the programming error it is: it panics instead of returning the error.
func NewHandler(eng any, log *slog.Logger, limits swf.Limits) http.Handler {
	h, err := New(eng, log, limits)
	if err != nil {
		panic(err)
	}
	return h
}

// Supported reports whether the engine implements op, so that a server can
// say at start-up which operations it still lacks.
func (h *Handler) Supported(op string) bool { return h.routes[op] != nil }

// exchange is one request and what was answered to it, for the log line.
type exchange struct {
	w      http.ResponseWriter
	r      *http.Request
	id     string
	op     string
	in     any // the decoded input, once decoded
	status int
	fault  string
}

// ServeHTTP answers one SWF call.
//
// Only POST is accepted; any other method answers 405 (with Allow: POST and
// an UnknownOperationException body, so an SDK still finds a __type). The
// path is ignored, as AWS ignores it. The request's Content-Type is not
// checked: clients send application/x-amz-json-1.0 but some send 1.1 or
// nothing, and the body tells us all we need. SigV4 signatures are
// verified when RequireSignatures was called.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ex := &exchange{w: w, r: r, id: uuid.NewString()}
	hdr := w.Header()
	hdr[requestIDKey] = []string{ex.id}
	hdr["Content-Type"] = []string{contentType}
	defer h.logRequest(ex, start)
	defer h.recoverPanic(ex)
	h.serve(ex)
}

// logRequest reports the request to the observer, writes a Warn line for
// a fault (an internal error has its own Error line) and the Debug line
// every request gets. Every line names the request id the client got in
// x-amzn-RequestId.
func (h *Handler) logRequest(ex *exchange, start time.Time) {
	took := time.Since(start)
	if h.obs != nil {
		h.obs.ObserveRequest(ex.op, ex.fault, took)
	}
	ctx := ex.r.Context()
	if ex.fault != "" && ex.fault != swf.InternalFailure && h.log.Enabled(ctx, slog.LevelWarn) {
		if ok, dropped := h.faultLines.allow(time.Now()); ok {
			attrs := []slog.Attr{slog.String("request_id", ex.id), slog.String("op", ex.op),
				slog.String("domain", domainOf(ex.in)), slog.String("fault", ex.fault), slog.Int("status", ex.status)}
			if dropped > 0 {
				attrs = append(attrs, slog.Int64("fault_lines_left_out", dropped))
			}
			h.log.LogAttrs(ctx, slog.LevelWarn, "fault", attrs...)
		}
	}
	if !h.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", ex.id), slog.String("op", ex.op),
		slog.Int("status", ex.status), slog.Duration("duration", took),
	}
	if ex.fault != "" {
		attrs = append(attrs, slog.String("fault", ex.fault))
	}
	h.log.LogAttrs(ctx, slog.LevelDebug, "request", attrs...)
}

func (h *Handler) serve(ex *exchange) {
	r := ex.r
	if r.Method != http.MethodPost {
		ex.w.Header().Set("Allow", http.MethodPost)
		h.writeError(ex, http.StatusMethodNotAllowed, serviceNS+swf.UnknownOperationException,
			swf.UnknownOperationException, fmt.Sprintf("Method %s is not allowed; SWF calls are POST requests", r.Method))
		return
	}

	target := r.Header.Get("X-Amz-Target")
	if target == "" {
		// A presigned request carries its headers in the query string.
		target = r.URL.Query().Get("X-Amz-Target")
	}
	op, ok := strings.CutPrefix(target, targetPrefix)
	if !ok {
		if op, ok = strings.CutPrefix(target, legacyTargetPrefix); ok {
			ex.w.Header().Set("Content-Type", "application/json")
		}
	}
	if !ok || shape.Operations[op] == nil {
		if target == "" {
			h.fault(ex, swf.UnknownOperationException, "Missing X-Amz-Target header")
		} else {
			h.fault(ex, swf.UnknownOperationException, fmt.Sprintf("Unknown operation %q", target))
		}
		return
	}
	ex.op = op
	rt := h.routes[op]
	if rt == nil {
		h.fault(ex, swf.UnknownOperationException, fmt.Sprintf("Operation %s is not supported by this server yet", op))
		return
	}

	body, err := readBody(ex.w, r, h.maxBytes)
	switch {
	case errors.Is(err, errTooLarge):
		h.fault(ex, requestEntityTooLargeException, fmt.Sprintf("Request body exceeds the limit of %d bytes", h.maxBytes))
		return
	case err != nil:
		h.fault(ex, swf.SerializationException, "Unable to read the request body: "+err.Error())
		return
	}

	ctx, ok := h.authenticate(ex, body)
	if !ok {
		return
	}

	in, err := shape.Decode(op, body)
	if err != nil {
		h.decodeError(ex, err)
		return
	}
	ex.in = in
	if h.scope != nil {
		h.scope.Scope(ctx, in)
	}
	if h.authz != nil {
		if err := h.authz.Authorize(ctx, op, in); err != nil {
			h.engineError(ex, err)
			return
		}
	}

	out, err := rt.call(ctx, in)
	if h.forward != nil {
		var answered bool
		out, err, answered = h.callOwner(ctx, ex, rt, in, body, out, err)
		if answered {
			return
		}
	}
	if err != nil {
		h.engineError(ex, err)
		return
	}
	h.writeOutput(ex, out)
}

// callOwner passes a call the engine refused as another node's
// (swf.NotOwner, answered before it did anything) to the shard's owner.
// While no other node serves the shard (it is being handed over: this
// node may be loading it, or the map names no owner yet) the call is
// asked again every handoverPoll, for up to HandoverWait, so that a
// rebalance delays clients rather than failing them. It reports whether
// it answered the client itself.
func (h *Handler) callOwner(ctx context.Context, ex *exchange, rt *route, in any, body []byte, out any, err error) (any, error, bool) {
	var until time.Time
	for {
		var notOwner *swf.NotOwner
		if err == nil || !errors.As(err, &notOwner) {
			return out, err, false
		}
		status, ok, ferr := h.forward.Forward(ex.w, ex.r, body, notOwner.Shard)
		if ok {
			ex.status = status // the owner logs and counts the call's outcome
			return nil, nil, true
		}
		if ferr != nil {
			// Not the retryable "not here" fault: the owner may have
			// acted on the call before it failed to answer.
			h.log.Warn("forwarded call got no answer", "request_id", ex.id, "op", ex.op, "err", ferr)
			h.fault(ex, swf.InternalFailure, "the node that serves this call failed before it answered; the call may or may not have taken effect")
			return nil, nil, true
		}
		if until.IsZero() {
			until = time.Now().Add(h.forward.HandoverWait(ex.r))
		}
		if !time.Now().Before(until) || ctx.Err() != nil {
			return out, err, false
		}
		time.Sleep(handoverPoll)
		out, err = rt.call(ctx, in)
	}
}

// authenticate verifies the request's signature, when signatures are
// required, and returns the context that carries the caller. It answers the
// request itself and returns false when the signature is refused.
func (h *Handler) authenticate(ex *exchange, body []byte) (context.Context, bool) {
	r := ex.r
	region := auth.CredentialRegion(r) // "" for an unsigned call: the server's region
	if h.creds == nil {
		return auth.WithCall(r.Context(), auth.AllowAll, region), true
	}
	p, err := h.creds.Authenticate(r, body, h.now())
	if err != nil {
		var ae *auth.Error
		if errors.As(err, &ae) {
			h.writeError(ex, ae.Status, serviceNS+ae.Code, ae.Code, ae.Message)
		} else {
			h.internal(ex, fmt.Errorf("authenticate: %w", err))
		}
		return nil, false
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	global := auth.Context{
		auth.KeySourceIP:        {ip},
		auth.KeySecureTransport: {strconv.FormatBool(r.TLS != nil)},
		auth.KeyUsername:        {p.Name()},
	}
	return auth.WithCall(r.Context(), auth.WithGlobalKeys(p, global), region), true
}

// decodeError answers a request that shape.Decode refused.
func (h *Handler) decodeError(ex *exchange, err error) {
	var (
		se *shape.SerializationError
		ve *shape.ValidationError
		ue *shape.UnknownOperationError
	)
	switch {
	case errors.As(err, &ve):
		h.fault(ex, swf.ValidationException, ve.Error())
	case errors.As(err, &se):
		h.fault(ex, swf.SerializationException, se.Message)
	case errors.As(err, &ue):
		h.fault(ex, swf.UnknownOperationException, fmt.Sprintf("Unknown operation %q", targetPrefix+ue.Op))
	default:
		h.internal(ex, fmt.Errorf("decode %s: %w", ex.op, err))
	}
}

// engineError answers a failed engine call: a *swf.Fault whose name the
// table knows goes to the client as is; anything else is internal.
func (h *Handler) engineError(ex *exchange, err error) {
	var f *swf.Fault
	if errors.As(err, &f) {
		if _, known := faults[f.Name]; known && f.Name != swf.InternalFailure {
			h.fault(ex, f.Name, f.Message)
			return
		}
	}
	h.internal(ex, fmt.Errorf("%s: %w", ex.op, err))
}

// internal logs err in full and answers InternalFailure with a generic
// message. A request whose client has gone away is logged at Debug only:
// the error is most likely the cancellation itself.
func (h *Handler) internal(ex *exchange, err error) {
	level := slog.LevelError
	if ex.r.Context().Err() != nil {
		level = slog.LevelDebug
	}
	h.log.Log(ex.r.Context(), level, "internal error", "request_id", ex.id, "op", ex.op, "err", err)
	h.fault(ex, swf.InternalFailure, internalMessage)
}

// recoverPanic turns an engine panic into InternalFailure, so one bad
// request costs its caller an error rather than the connection.
func (h *Handler) recoverPanic(ex *exchange) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
	h.log.Error("panic serving request", "request_id", ex.id, "op", ex.op,
		"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	if ex.status == 0 {
		h.fault(ex, swf.InternalFailure, internalMessage)
	}
}

// domainOf is the domain an operation's input names ("" for task-token
// calls, which name none), for the log.
func domainOf(in any) string {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	f := v.Elem().FieldByName("Domain")
	if f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}
