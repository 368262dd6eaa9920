package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	t.Parallel()
	r := runCLI(t, "help")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, c := range commands() {
		if !strings.Contains(r.stdout, "  "+c.Name+" ") || !strings.Contains(r.stdout, descriptions[c.Op.Name]) {
			t.Errorf("swf help lacks %s", c.Name)
		}
	}
	for _, g := range globalFlags {
		if !strings.Contains(r.stdout, "--"+g.name) {
			t.Errorf("swf help lacks --%s", g.name)
		}
	}

	want := []string{
		"NAME\n  swf record-activity-task-heartbeat\n",
		descriptions["RecordActivityTaskHeartbeat"],
		"SYNOPSIS\n  swf record-activity-task-heartbeat\n    --task-token <value>\n    [--details <value>]\n    [--cli-input-json <value>]\n",
		"  --task-token (string, required)\n      Constraints: length 1 to 1024\n",
		"  --details (string, optional)\n      Constraints: length at most 2048\n",
		"--generate-cli-skeleton (string)",
		"OUTPUT\n  cancelRequested (boolean)\n",
	}
	for _, args := range [][]string{
		{"record-activity-task-heartbeat", "help"},
		{"record-activity-task-heartbeat", "--help"},
		{"record-activity-task-heartbeat", "--task-token", "x", "-h"},
		{"help", "record-activity-task-heartbeat"},
	} {
		r := runCLI(t, args...)
		if r.code != 0 {
			t.Fatalf("%v: %v", args, r)
		}
		for _, w := range want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("swf %s lacks %q:\n%s", strings.Join(args, " "), w, r.stdout)
			}
		}
	}

	r = runCLI(t, "poll-for-decision-task", "help")
	for _, w := range []string{
		"poll-for-decision-task is a paginated operation",
		"    [--reverse-order | --no-reverse-order]\n",
		"  --task-list (structure, required)\n      Shorthand syntax:\n        name=string\n      JSON syntax:\n        {\n          \"name\": \"string\"\n        }\n",
		"  --maximum-page-size",
		"--starting-token (string)",
	} {
		has := strings.Contains(r.stdout, w)
		if w == "  --maximum-page-size" {
			has = !has // hidden, as aws hides it
		}
		if !has {
			t.Errorf("poll-for-decision-task help: %q wrong:\n%s", w, r.stdout)
		}
	}
	r = runCLI(t, "list-domains", "help")
	if !strings.Contains(r.stdout, "  --registration-status (string, required)\n      Possible values: REGISTERED, DEPRECATED\n") {
		t.Errorf("list-domains help lacks the enum:\n%s", r.stdout)
	}
	r = runCLI(t, "respond-decision-task-completed", "help")
	if !strings.Contains(r.stdout, "  --decisions (list of structure, optional)\n") || !strings.Contains(r.stdout, `"decisionType": "ScheduleActivityTask"|`) {
		t.Errorf("respond-decision-task-completed help:\n%s", r.stdout)
	}
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, sh := range []string{"bash", "zsh"} {
		r := runCLI(t, "completion", sh)
		if r.code != 0 {
			t.Fatalf("completion %s: %v", sh, r)
		}
		for _, w := range []string{"record-activity-task-heartbeat", "--task-token", "--cli-input-json", "--no-reverse-order", "REGISTERED DEPRECATED"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%s completion lacks %q", sh, w)
			}
		}
	}
	if r := runCLI(t, "completion", "fish"); r.code != ExitUsage {
		t.Errorf("completion fish: %v", r)
	}
	if r := runCLI(t, "completion"); r.code != ExitUsage {
		t.Errorf("completion: %v", r)
	}

	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Log("no bash: completion script not run")
		return
	}
	script := filepath.Join(t.TempDir(), "swf.bash")
	if err := os.WriteFile(script, []byte(runCLI(t, "completion", "bash").stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	complete := func(words ...string) string {
		t.Helper()
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + w + "'"
		}
		prog := "source " + script + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" +
			strconv.Itoa(len(words)-1) + "\n_swf\necho \"${COMPREPLY[*]}\"\n"
		out, err := exec.Command(bash, "--norc", "--noprofile", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for _, tt := range []struct {
		words []string
		want  string
	}{
		{[]string{"swf", "record-activity-task-h"}, "record-activity-task-heartbeat"},
		{[]string{"swf", "record-activity-task-heartbeat", "--task-t"}, "--task-token"},
		{[]string{"swf", "--region", "x", "list-domains", "--registration-s"}, "--registration-status"},
		{[]string{"swf", "list-domains", "--registration-status", "DEP"}, "DEPRECATED"},
		{[]string{"swf", "list-domains", "--output", "t"}, "text table"},
		{[]string{"swf", "list-domains", "--no-rev"}, "--no-reverse-order"},
	} {
		if got := complete(tt.words...); got != tt.want {
			t.Errorf("completing %v: got %q, want %q", tt.words, got, tt.want)
		}
	}
	if zsh, err := exec.LookPath("zsh"); err == nil {
		zscript := filepath.Join(t.TempDir(), "_swf")
		if err := os.WriteFile(zscript, []byte(runCLI(t, "completion", "zsh").stdout), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(zsh, "-n", zscript).CombinedOutput(); err != nil {
			t.Errorf("zsh -n: %v\n%s", err, out)
		}
	}
}
