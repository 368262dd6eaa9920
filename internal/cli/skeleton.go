package cli

import (
	"github.com/openswf/openswf/internal/shape"
)

// skeleton builds what --generate-cli-skeleton prints, as botocore's
// ArgumentGenerator does: every member in model order; strings empty (an
// enum's first value: aws picks one at random), numbers 0, booleans true,
// timestamps the epoch, lists with one element, and a structure already
// being expanded further up as {}.
//
// forOutput is the "output" flavour, where strings hold their member's
// name (a list element, its shape's name) instead.
func skeleton(sh *shape.ShapeDef, forOutput bool) any {
	return skeletonOf(sh, forOutput, "", map[string]int{})
}

func skeletonOf(sh *shape.ShapeDef, forOutput bool, name string, stack map[string]int) any {
	stack[sh.Name]++
	defer func() { stack[sh.Name]-- }()
	switch sh.Type {
	case "structure":
		o := newObject()
		if stack[sh.Name] > 1 {
			return o
		}
		for _, m := range orderedMembers(sh) {
			o.set(m, skeletonOf(shape.LookupShape(sh.Members[m]), forOutput, m, stack))
		}
		return o
	case "list":
		elem := shape.LookupShape(sh.Elem)
		elemName := ""
		if forOutput {
			elemName = elem.Name
		}
		return []any{skeletonOf(elem, forOutput, elemName, stack)}
	case "string":
		if forOutput {
			return name
		}
		if len(sh.Enum) > 0 {
			return sh.Enum[0]
		}
		return ""
	case "integer", "long":
		return 0
	case "boolean":
		return true
	case "timestamp":
		return "1970-01-01T00:00:00"
	}
	return nil
}

// inputSkeleton is `--generate-cli-skeleton input` for c.
func inputSkeleton(c *command) any {
	if c.Input == nil {
		return newObject()
	}
	return skeleton(c.Input, false)
}

// outputSkeleton is the sample response of `--generate-cli-skeleton
// output`, or nil for an operation without output.
func outputSkeleton(c *command) any {
	if c.Op.Output == "" {
		return nil
	}
	return skeleton(shape.LookupShape(c.Op.Output), true)
}
