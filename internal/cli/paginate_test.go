package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestPageToken(t *testing.T) {
	t.Parallel()
	abc := "abc"
	// What botocore encodes for the same tokens.
	for tok, want := range map[*pageToken]string{
		{Next: &abc, Truncate: 2, HasTrunc: true}: "eyJuZXh0UGFnZVRva2VuIjogImFiYyIsICJib3RvX3RydW5jYXRlX2Ftb3VudCI6IDJ9",
		{Next: &abc}: "eyJuZXh0UGFnZVRva2VuIjogImFiYyJ9",
	} {
		if got := tok.encode(); got != want {
			t.Errorf("encode: got %s, want %s", got, want)
		}
		back, err := decodePageToken(want)
		if err != nil || *back.Next != *tok.Next || back.Truncate != tok.Truncate || back.HasTrunc != tok.HasTrunc {
			t.Errorf("decode(%s) = %+v, %v", want, back, err)
		}
	}
	for _, bad := range []string{"", "!!", "eyJ4IjogMX0=" /* {"x": 1} */} {
		if _, err := decodePageToken(bad); err == nil {
			t.Errorf("decodePageToken(%q) succeeded", bad)
		}
	}
}

// names returns the domain names of a list-domains JSON output, and its
// NextToken.
func names(t *testing.T, out string) ([]string, string) {
	t.Helper()
	var v struct {
		DomainInfos []struct{ Name string }
		NextToken   string
		Next        string `json:"nextPageToken"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	var n []string
	for _, d := range v.DomainInfos {
		n = append(n, d.Name)
	}
	if v.Next != "" {
		return n, "service:" + v.Next
	}
	return n, v.NextToken
}

func TestPagination(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	var all []string
	for i := range 7 {
		name := fmt.Sprintf("d%d", i)
		all = append(all, name)
		mustSWF(t, url, "register-domain", "--name", name, "--workflow-execution-retention-period-in-days", "1")
	}
	list := func(args ...string) string {
		return mustSWF(t, url, append([]string{"list-domains", "--registration-status", "REGISTERED"}, args...)...)
	}
	join := func(s []string) string { return strings.Join(s, " ") }

	t.Run("FollowsTokens", func(t *testing.T) {
		r := swfAt(t, url, "list-domains", "--registration-status", "REGISTERED", "--page-size", "2", "--debug")
		got, next := names(t, r.stdout)
		if join(got) != join(all) || next != "" {
			t.Fatalf("got %v (next %q), want all of %v", got, next, all)
		}
		if n := strings.Count(r.stderr, "request: POST"); n != 4 {
			t.Fatalf("got %d requests, want 4 pages of 2", n)
		}
	})
	t.Run("MaxItemsOnPageBoundary", func(t *testing.T) {
		got, next := names(t, list("--page-size", "2", "--max-items", "4"))
		if join(got) != join(all[:4]) || next == "" {
			t.Fatalf("got %v next %q", got, next)
		}
		got, next = names(t, list("--page-size", "2", "--starting-token", next))
		if join(got) != join(all[4:]) || next != "" {
			t.Fatalf("resumed: got %v next %q", got, next)
		}
	})
	t.Run("MaxItemsInsidePage", func(t *testing.T) {
		var seen []string
		next := ""
		for range 10 {
			args := []string{"--page-size", "3", "--max-items", "2"}
			if next != "" {
				args = append(args, "--starting-token", next)
			}
			var got []string
			got, next = names(t, list(args...))
			seen = append(seen, got...)
			if next == "" {
				break
			}
		}
		if join(seen) != join(all) {
			t.Fatalf("got %v in steps of 2, want %v", seen, all)
		}
	})
	t.Run("NoPaginate", func(t *testing.T) {
		got, next := names(t, list("--no-paginate", "--maximum-page-size", "2"))
		if join(got) != join(all[:2]) || !strings.HasPrefix(next, "service:") {
			t.Fatalf("got %v next %q, want one page and the service's nextPageToken", got, next)
		}
	})
	t.Run("ByHand", func(t *testing.T) {
		// Giving the service's own paging members turns paging off.
		got, next := names(t, list("--maximum-page-size", "3"))
		if join(got) != join(all[:3]) || !strings.HasPrefix(next, "service:") {
			t.Fatalf("got %v next %q", got, next)
		}
		got, _ = names(t, list("--next-page-token", strings.TrimPrefix(next, "service:"), "--maximum-page-size", "3"))
		if join(got) != join(all[3:6]) {
			t.Fatalf("second page by hand: got %v", got)
		}
	})
	t.Run("Text", func(t *testing.T) {
		out := list("--page-size", "3", "--max-items", "5", "--output", "text")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 6 || !strings.HasPrefix(lines[5], "NEXTTOKEN\t") || strings.Count(out, "DOMAININFOS\t") != 5 {
			t.Fatalf("got\n%s", out)
		}
	})
	t.Run("Query", func(t *testing.T) {
		// json queries the joined result; text, as aws, each page.
		if got := list("--page-size", "2", "--query", "domainInfos[].name", "--output", "json"); got != "[\n    \""+strings.Join(all, "\",\n    \"")+"\"\n]\n" {
			t.Fatalf("json: got %q", got)
		}
		if got := list("--page-size", "2", "--query", "domainInfos[].name", "--output", "text"); got != "d0\td1\nd2\td3\nd4\td5\nd6\n" {
			t.Fatalf("text: got %q", got)
		}
	})
	t.Run("History", func(t *testing.T) {
		runID := setupStory(t, url, "paged")
		for i := range 4 {
			mustSWF(t, url, "signal-workflow-execution", "--domain", "paged", "--workflow-id", "w1", "--signal-name", fmt.Sprint("s", i))
		}
		exec := []string{"get-workflow-execution-history", "--domain", "paged", "--execution", "workflowId=w1,runId=" + runID}
		full := mustSWF(t, url, append(exec, "--query", "events[].eventId", "--output", "text")...)
		paged := mustSWF(t, url, append(exec, "--page-size", "1", "--query", "events[].eventId", "--output", "json")...)
		var ids []int
		if err := json.Unmarshal([]byte(paged), &ids); err != nil {
			t.Fatal(err)
		}
		if len(ids) != 6 || fmt.Sprint(ids) != "["+strings.ReplaceAll(strings.TrimSpace(full), "\t", " ")+"]" {
			t.Fatalf("paged one by one: %v; at once: %s", ids, full)
		}
	})
}
