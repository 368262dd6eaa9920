package shape

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

//go:embed model.json
var modelJSON []byte

// ServiceModel is the parsed wire model, reduced to what validation needs.
type ServiceModel struct {
	Metadata map[string]any
	Shapes   map[string]*ShapeDef
}

// ShapeDef describes one shape of the model.
type ShapeDef struct {
	Name      string
	Type      string            // structure, list, string, integer, long, boolean, timestamp
	Members   map[string]string // structure: member name -> shape name
	Order     []string          // structure: member names, sorted
	Required  []string          // structure: required member names
	Min, Max  *int64            // length (string, list) or value (integer, long) bounds
	Enum      []string          // string enum values, in model order
	Elem      string            // list: element shape name
	Exception bool              // structure used as an error body

	required map[string]bool
}

// IsRequired reports whether the structure member is required.
func (s *ShapeDef) IsRequired(member string) bool { return s.required[member] }

var (
	modelOnce sync.Once
	model     *ServiceModel
)

// Model returns the embedded wire model, parsed on first use.
func Model() *ServiceModel {
	modelOnce.Do(func() {
		m, err := parseModel(modelJSON)
		if err != nil {
			panic(fmt.Sprintf("shape: embedded model.json: %v", err))
		}
		model = m
	})
	return model
}

// LookupShape returns the named shape, or nil.
func LookupShape(name string) *ShapeDef { return Model().Shapes[name] }

func parseModel(data []byte) (*ServiceModel, error) {
	type ref struct {
		Shape string `json:"shape"`
	}
	var raw struct {
		Metadata map[string]any `json:"metadata"`
		Shapes   map[string]struct {
			Type      string         `json:"type"`
			Members   map[string]ref `json:"members"`
			Required  []string       `json:"required"`
			Min       *int64         `json:"min"`
			Max       *int64         `json:"max"`
			Enum      []string       `json:"enum"`
			Member    *ref           `json:"member"`
			Exception bool           `json:"exception"`
		} `json:"shapes"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	m := &ServiceModel{Metadata: raw.Metadata, Shapes: make(map[string]*ShapeDef, len(raw.Shapes))}
	for name, r := range raw.Shapes {
		s := &ShapeDef{
			Name:      name,
			Type:      r.Type,
			Required:  r.Required,
			Min:       r.Min,
			Max:       r.Max,
			Enum:      r.Enum,
			Exception: r.Exception,
			required:  make(map[string]bool, len(r.Required)),
		}
		if len(r.Members) > 0 {
			s.Members = make(map[string]string, len(r.Members))
			for mn, mr := range r.Members {
				s.Members[mn] = mr.Shape
				s.Order = append(s.Order, mn)
			}
			sort.Strings(s.Order)
		}
		for _, rq := range r.Required {
			s.required[rq] = true
		}
		if r.Member != nil {
			s.Elem = r.Member.Shape
		}
		m.Shapes[name] = s
	}
	// Check references so the validator can trust them.
	for _, s := range m.Shapes {
		for mn, target := range s.Members {
			if m.Shapes[target] == nil {
				return nil, fmt.Errorf("shape %s member %s: unknown shape %s", s.Name, mn, target)
			}
		}
		if s.Type == "list" && m.Shapes[s.Elem] == nil {
			return nil, fmt.Errorf("list shape %s: unknown element shape %q", s.Name, s.Elem)
		}
	}
	return m, nil
}

// Operation describes one service operation. Input and Output are shape
// names; they are empty (and the New funcs nil) when the operation has no
// input or output. NewInput and NewOutput return pointers to fresh
// generated structs.
type Operation struct {
	Name, Input, Output string
	Errors              []string
	NewInput            func() any
	NewOutput           func() any
}
