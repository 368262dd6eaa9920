// Package conformance is the black-box test suite of openswf: every test
// drives a server started in-process (package swftest) over HTTP with
// aws-sdk-go-v2's SWF client, on real SQLite storage, with a fake clock for
// timeouts. The rules tested are those of ../../shared/swf/BEHAVIOR.md; each
// test names the rule it checks.
package conformance
