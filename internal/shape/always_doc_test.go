package shape

import (
	"os"
	"strings"
	"testing"
)

// TestAlwaysSentDocumented keeps docs/compatibility.md's list of members
// always sent in step with always_sent.txt.
func TestAlwaysSentDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/compatibility.md")
	if err != nil {
		t.Fatal(err)
	}
	for shape, members := range AlwaysSent {
		for _, m := range members {
			if !strings.Contains(string(doc), "`"+shape+"."+m+"`") {
				t.Errorf("docs/compatibility.md does not list %s.%s among the members always sent", shape, m)
			}
		}
	}
}
