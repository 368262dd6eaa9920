package conformance_test

import (
	"errors"

	oswf "github.com/openswf/openswf/internal/swf"
)

func errorsAs[T error](err error, target *T) bool { return errors.As(err, target) }

func swftestLimits() oswf.Limits { return oswf.DefaultLimits() }
