package shape_test

import (
	"encoding/json"

	"github.com/openswf/openswf/internal/shape"
)

func encodeOutput(out any) ([]byte, error) {
	shape.SendLists(out)
	return json.Marshal(out)
}
