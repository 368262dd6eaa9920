// Package e2e holds openswf's end-to-end tests. They build the real `swf`
// binary, run `swf server` as a child process on 127.0.0.1:0 with a data
// directory in t.TempDir(), and drive it over the wire the way users do: with
// the AWS CLI, boto3 and aws-sdk-go-v2, on the real clock.
//
// The package has no code of its own outside its tests. Tests that need a
// tool that is not installed (aws, python3 with boto3) skip, except under
// CI=true, where a missing tool fails the test: CI must run them all.
package e2e
