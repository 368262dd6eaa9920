package wire

import (
	"context"
	"fmt"
	"reflect"
	"sort"

	"github.com/openswf/openswf/internal/shape"
)

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// route is one operation the engine implements, found by reflection at
// start-up and called through the generated typed closure (shape.Caller),
// since reflect.Value.Call allocates on every call.
type route struct {
	op   *shape.Operation
	call func(ctx context.Context, in any) (out any, err error) // out is nil for operations without output, and for a nil answer
}

// buildRoutes looks up, for every operation of the model, the engine method
// of the same name and checks its signature against the model:
//
//	func(context.Context, *shape.<Input>) (*shape.<Output>, error) // with output
//	func(context.Context, *shape.<Input>) error                     // without
//
// Operations the engine lacks are left out (and answered as not supported);
// a method with the right name but the wrong signature is a programming
// error, reported so that the server refuses to start rather than failing
// one request at a time.
func buildRoutes(eng any) (map[string]*route, error) {
	v := reflect.ValueOf(eng)
	routes := make(map[string]*route, len(shape.Operations))
	if !v.IsValid() {
		return routes, nil
	}
	names := make([]string, 0, len(shape.Operations))
	for name := range shape.Operations {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		op := shape.Operations[name]
		m := v.MethodByName(name)
		if !m.IsValid() {
			continue
		}
		rt, err := newRoute(op, eng, m)
		if err != nil {
			return nil, fmt.Errorf("wire: engine method %s: %w", name, err)
		}
		routes[name] = rt
	}
	return routes, nil
}

func newRoute(op *shape.Operation, eng any, m reflect.Value) (*route, error) {
	if op.NewInput == nil {
		// Every SWF operation has an input; the model would have to change
		// for this to happen, and then the dispatcher needs a look too.
		return nil, fmt.Errorf("operation has no input shape")
	}
	inType := reflect.TypeOf(op.NewInput())
	t := m.Type()
	want := fmt.Sprintf("func(context.Context, %s) error", inType)
	if op.NewOutput != nil {
		want = fmt.Sprintf("func(context.Context, %s) (%s, error)", inType, reflect.TypeOf(op.NewOutput()))
	}
	if t.NumIn() != 2 || t.In(0) != contextType || t.In(1) != inType {
		return nil, fmt.Errorf("has signature %s, want %s", t, want)
	}
	switch {
	case op.NewOutput == nil && t.NumOut() == 1 && t.Out(0) == errorType:
	case op.NewOutput != nil && t.NumOut() == 2 && t.Out(0) == reflect.TypeOf(op.NewOutput()) && t.Out(1) == errorType:
	default:
		return nil, fmt.Errorf("has signature %s, want %s", t, want)
	}
	call := shape.Caller(op.Name, eng)
	if call == nil {
		// The signature matched, so only a generator out of step with
		// the model gets here.
		return nil, fmt.Errorf("has signature %s, but shape.Caller has no call for it", t)
	}
	return &route{op: op, call: call}, nil
}
