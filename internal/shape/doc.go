// Package shape holds the Go types of the SWF wire model (generated from
// model.json), the decoders that read and validate requests into them and
// the encoders that write answers from them (generated too), and the
// generic, model-driven validator those decoders are checked against.
//
// shapes_gen.go and codecs_gen.go are produced by the generator in ./gen;
// regenerate them with `go generate ./internal/shape` after changing
// model.json or always_sent.txt.
package shape

//go:generate go run ./gen
