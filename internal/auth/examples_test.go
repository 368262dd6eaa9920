package auth

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The worked examples of docs/security.md, as tables of what each role may
// and may not do.
var (
	workerQuestions = []question{
		{"swf:PollForActivityTask", arnProd, Context{KeyTaskListName: {"images"}}, true},
		{"swf:RecordActivityTaskHeartbeat", arnProd, nil, true},
		{"swf:RespondActivityTaskCompleted", arnProd, nil, true},
		{"swf:RespondActivityTaskFailed", arnProd, nil, true},
		{"swf:RespondActivityTaskCanceled", arnProd, nil, true},
		{"swf:RecordActivityTaskHeartbeat", ARN("eu-west-1", account, "prod"), nil, true}, // any region
		{"swf:RecordActivityTaskHeartbeat", arnTest, nil, false},                          // another domain
		{"swf:RecordActivityTaskHeartbeat", ARN("us-east-1", "210987654321", "prod"), nil, false},
		{"swf:PollForDecisionTask", arnProd, nil, false},
		{"swf:RespondDecisionTaskCompleted", arnProd, nil, false},
		{"swf:StartWorkflowExecution", arnProd, nil, false},
		{"swf:ScheduleActivityTask", arnProd, Context{KeyActivityTypeName: {"resize"}}, false},
		{"swf:ListDomains", arnAll, nil, false},
	}
	deciderQuestions = []question{
		{"swf:PollForDecisionTask", arnProd, Context{KeyTaskListName: {"decisions"}}, true},
		{"swf:RespondDecisionTaskCompleted", arnProd, nil, true},
		{"swf:ScheduleActivityTask", arnProd, Context{KeyActivityTypeName: {"resize"}, KeyActivityTypeVersion: {"1"}, KeyTaskListName: {"images"}}, true},
		{"swf:ScheduleActivityTask", arnProd, Context{KeyActivityTypeName: {"crop"}}, false},
		{"swf:ScheduleActivityTask", arnProd, Context{KeyActivityTypeName: {"Resize"}}, false},
		{"swf:ScheduleActivityTask", arnProd, nil, false},
		{"swf:ScheduleActivityTask", arnTest, Context{KeyActivityTypeName: {"resize"}}, false},
		{"swf:StartTimer", arnProd, nil, false},
		{"swf:CompleteWorkflowExecution", arnProd, nil, false},
		{"swf:PollForActivityTask", arnProd, nil, false},
		{"swf:RecordActivityTaskHeartbeat", arnProd, nil, false},
	}
)

func TestExamples(t *testing.T) {
	t.Parallel()
	cfg := mustParse(t, ExampleCredentials)
	byName := map[string]*Principal{}
	for _, p := range cfg.Principals() {
		byName[p.Name()] = p
	}
	tests := []struct {
		name      string
		policy    string
		principal string
		questions []question
	}{
		{name: "Worker", policy: ExampleWorkerPolicy, principal: "worker", questions: workerQuestions},
		{name: "Decider", policy: ExampleDeciderPolicy, principal: "decider", questions: deciderQuestions},
	}
	for _, tt := range tests {
		t.Run(tt.name+"Policy", func(t *testing.T) {
			t.Parallel()
			ask(t, mustPolicy(t, tt.policy), tt.questions)
		})
		t.Run(tt.name+"Principal", func(t *testing.T) {
			t.Parallel()
			p := byName[tt.principal]
			if p == nil {
				t.Fatalf("ExampleCredentials has no principal %q", tt.principal)
			}
			ask(t, p, tt.questions)
		})
	}

	// The credentials file must hold the very policies the constants hold.
	t.Run("CredentialsHoldThePolicies", func(t *testing.T) {
		t.Parallel()
		var file struct {
			Principals []struct {
				Name     string
				Policies []any
			}
		}
		if err := json.Unmarshal([]byte(ExampleCredentials), &file); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"worker": ExampleWorkerPolicy, "decider": ExampleDeciderPolicy}
		for _, p := range file.Principals {
			var policy any
			if err := json.Unmarshal([]byte(want[p.Name]), &policy); err != nil {
				t.Fatal(err)
			}
			if len(p.Policies) != 1 || !reflect.DeepEqual(p.Policies[0], policy) {
				t.Errorf("principal %q: got policies %v, want [%s]", p.Name, p.Policies, want[p.Name])
			}
		}
	})

	// A request the worker signs with its example key authenticates as it.
	t.Run("WorkerSigns", func(t *testing.T) {
		t.Parallel()
		r := newRequest(t, testBody)
		sign(t, r, testBody, signOpts{key: "AKIAIOSFODNN7EXAMPLE", secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})
		p, err := cfg.Authenticate(r, []byte(testBody), signTime)
		if err != nil || p.Name() != "worker" {
			t.Fatalf("Authenticate: got %v, %v; want worker", p, err)
		}
	})
}

// TestSecurityDoc keeps docs/security.md honest: it must quote the example
// policies exactly as the tests above exercise them.
func TestSecurityDoc(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "security.md"))
	if err != nil {
		t.Fatalf("read docs/security.md: %v", err)
	}
	for name, policy := range map[string]string{
		"ExampleWorkerPolicy":  ExampleWorkerPolicy,
		"ExampleDeciderPolicy": ExampleDeciderPolicy,
	} {
		if !strings.Contains(string(doc), "```json\n"+policy+"\n```") {
			t.Errorf("docs/security.md does not quote %s verbatim in a json block:\n%s", name, policy)
		}
	}
}
