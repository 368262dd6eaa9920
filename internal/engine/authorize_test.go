package engine

import (
	"context"
	"testing"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/swf"
)

// Every operation of the model has an authorization rule: a new one without
// a rule would be refused to everyone, never let through.
func TestEveryOperationHasAnAuthorizationRule(t *testing.T) {
	t.Parallel()
	e := &Engine{cfg: Config{Region: "us-east-1", AccountID: "123456789012"}, lim: swf.DefaultLimits()}
	for name, op := range shape.Operations {
		if op.NewInput == nil {
			continue
		}
		if _, _, err := e.authQuestion(context.Background(), op.NewInput()); err != nil {
			t.Errorf("%s: got %v, want a rule", name, err)
		}
	}
}
