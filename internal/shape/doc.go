// Package shape holds the Go types of the SWF wire model (generated from
// model.json) together with a generic, model-driven request validator.
//
// shapes_gen.go is produced by the generator in ./gen; regenerate it with
// `go generate ./internal/shape` after changing model.json.
package shape

//go:generate go run ./gen
