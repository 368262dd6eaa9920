package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// noRequests is an endpoint that fails the test if anything reaches it:
// for errors that must be caught before a request is sent.
func noRequests(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s", r.Header.Get("X-Amz-Target"))
		http.Error(w, "no", http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestRefusedBeforeSending covers command lines and values that never
// reach the service: exit 252, the flag named.
func TestRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	url := noRequests(t)
	long := strings.Repeat("x", 2049)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"OverMaximum", []string{"record-activity-task-heartbeat", "--task-token", "t", "--details", long},
			"\nParameter validation failed:\n--details: length 2049 is more than the maximum 2048\n"},
		{"OverMaximumFromJSON", []string{"record-activity-task-heartbeat", "--cli-input-json", `{"taskToken": "t", "details": "` + long + `"}`},
			"--details: length 2049 is more than the maximum 2048"},
		{"UnderMinimum", []string{"describe-domain", "--name", ""}, "--name: length 0 is less than the minimum 1"},
		{"Nested", []string{"poll-for-activity-task", "--domain", "d", "--task-list", "name=" + strings.Repeat("n", 257)},
			"--task-list name: length 257 is more than the maximum 256"},
		{"ValueRange", []string{"list-domains", "--registration-status", "REGISTERED", "--no-paginate", "--maximum-page-size", "1001"},
			"--maximum-page-size: value 1001 is more than the maximum 1000"},
		{"Enum", []string{"list-domains", "--registration-status", "ACTIVE"},
			`--registration-status: "ACTIVE" is not one of REGISTERED, DEPRECATED`},
		{"ListTooLong", []string{"start-workflow-execution", "--domain", "d", "--workflow-id", "w", "--workflow-type", "name=a,version=1", "--tag-list", "1", "2", "3", "4", "5", "6"},
			"--tag-list: 6 items, more than the maximum 5"},
		{"UnknownMember", []string{"poll-for-activity-task", "--domain", "d", "--task-list", "name=a,nmae=b"},
			`--task-list: unknown member "nmae", must be one of: name`},
		{"MissingMember", []string{"describe-activity-type", "--domain", "d", "--activity-type", "name=a"},
			`--activity-type: missing required member "version"`},
		{"WrongType", []string{"poll-for-activity-task", "--domain", "d", "--task-list", `{"name": 5}`},
			"--task-list name: expected a string, got a number"},
		{"UnknownInputMember", []string{"describe-domain", "--cli-input-json", `{"name": "d", "nmae": "e"}`},
			`Unknown parameter in input: "nmae", must be one of: name`},
		{"BadJSONFlag", []string{"poll-for-activity-task", "--domain", "d", "--task-list", `{"name": }`},
			"Error parsing parameter '--task-list': Invalid JSON:"},
		{"BadInputJSON", []string{"describe-domain", "--cli-input-json", `{"name": `},
			"Error parsing parameter '--cli-input-json': Invalid JSON:"},
		{"InputJSONNotObject", []string{"describe-domain", "--cli-input-json", `["name"]`},
			"Error parsing parameter '--cli-input-json': Invalid JSON: expected an object"},
		{"MissingInputFile", []string{"describe-domain", "--cli-input-json", "file:///no/such.json"},
			"Unable to load paramfile file:///no/such.json"},
		{"NotAnInteger", []string{"list-domains", "--registration-status", "REGISTERED", "--page-size", "ten"},
			`Error parsing parameter '--page-size': expected an integer, got "ten"`},
		{"NotAnIntegerInJSON", []string{"list-domains", "--cli-input-json", `{"registrationStatus": "REGISTERED", "maximumPageSize": "10"}`},
			"--maximum-page-size: expected an integer, got a string"},
		{"MissingRequired", []string{"record-activity-task-heartbeat", "--details", "x"},
			"swf: error: the following arguments are required: --task-token\n"},
		{"MissingSeveral", []string{"poll-for-activity-task"},
			"the following arguments are required: --domain, --task-list"},
		{"UnknownOption", []string{"describe-domain", "--name", "d", "--nope", "stray"},
			"usage: swf [options] <command> [parameters]\nTo see help text, you can run:\n\n  swf help\n  swf <command> help\n\nswf: error: Unknown options: --nope, stray\n"},
		{"NoValue", []string{"describe-domain", "--name"}, "argument --name: expected one argument"},
		{"ListNoValue", []string{"untag-resource", "--resource-arn", "a", "--tag-keys"}, "argument --tag-keys: expected at least one argument"},
		{"BoolValue", []string{"list-domains", "--registration-status", "REGISTERED", "--reverse-order=yes"}, "ignored explicit argument 'yes'"},
		{"BadOutput", []string{"list-domains", "--registration-status", "REGISTERED", "--output", "yaml"}, "argument --output: Invalid choice"},
		{"BadQuery", []string{"list-domains", "--registration-status", "REGISTERED", "--query", "domainInfos[?"}, "Bad value for --query domainInfos[?"},
		{"BadSkeletonKind", []string{"list-domains", "--generate-cli-skeleton", "yaml"}, "argument --generate-cli-skeleton: Invalid choice: 'yaml'"},
		{"SkeletonOutputChecksInput", []string{"list-domains", "--generate-cli-skeleton", "output"}, "the following arguments are required: --registration-status"},
		{"UnknownCommand", []string{"--region", "us-east-1", "list-domain"}, `argument command: Invalid choice: "list-domain"`},
		{"BadStartingToken", []string{"list-domains", "--registration-status", "REGISTERED", "--starting-token", "nope"}, "Error parsing parameter '--starting-token': Bad starting token: nope"},
		{"BadTimeout", []string{"list-domains", "--registration-status", "REGISTERED", "--cli-read-timeout", "soon"}, "Error parsing parameter '--cli-read-timeout'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := swfAt(t, url, tt.args...)
			wantExit(t, r, ExitUsage, tt.want)
			if r.stdout != "" {
				t.Fatalf("printed %q on stdout", r.stdout)
			}
		})
	}
}

// TestExitCodes covers the other exit codes of AWS CLI v2.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	t.Run("ServiceError", func(t *testing.T) {
		t.Parallel()
		r := swfAt(t, url, "describe-domain", "--name", "nowhere")
		if want := "\nAn error occurred (UnknownResourceFault) when calling the DescribeDomain operation: Unknown domain: nowhere\n"; r.stderr != want || r.code != ExitServiceError {
			t.Fatalf("got %v, want exit 254 and stderr %q", r, want)
		}
	})
	t.Run("NoServer", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		dead := srv.URL
		srv.Close()
		r := swfAt(t, dead, "list-domains", "--registration-status", "REGISTERED")
		wantExit(t, r, ExitGeneralError, `Could not connect to the endpoint URL: "`+dead+`"`)
	})
	t.Run("ReadTimeout", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			select {
			case <-r.Context().Done():
			case <-release:
			case <-time.After(5 * time.Second):
			}
		}))
		defer srv.Close()
		defer close(release)
		r := swfAt(t, srv.URL, "list-domains", "--registration-status", "REGISTERED", "--cli-read-timeout", "0.1")
		wantExit(t, r, ExitGeneralError, `Read timeout on endpoint URL: "`+srv.URL+`"`)
		if n := calls.Load(); n != 3 {
			t.Fatalf("got %d attempts, want 3 (a read timeout is retried)", n)
		}
	})
	t.Run("PaginationConflict", func(t *testing.T) {
		t.Parallel()
		r := swfAt(t, url, "list-domains", "--registration-status", "REGISTERED", "--no-paginate", "--max-items", "1")
		wantExit(t, r, ExitGeneralError, "Error during pagination: Cannot specify --no-paginate along with pagination arguments: --max-items")
	})
	t.Run("Interrupted", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var out, errb strings.Builder
		if code := Run(ctx, []string{"list-domains", "--registration-status", "REGISTERED", "--endpoint-url", url}, &out, &errb); code != ExitInterrupted {
			t.Fatalf("got exit %d, want %d", code, ExitInterrupted)
		}
	})
	t.Run("NoRegion", func(t *testing.T) {
		t.Parallel()
		// Not a local server, so no region is assumed; nothing is sent.
		r := swfAt(t, "https://swf.example.invalid", "list-domains", "--registration-status", "REGISTERED")
		wantExit(t, r, ExitConfig, "You must specify a region.")
	})
	t.Run("NoCredentials", func(t *testing.T) {
		t.Parallel()
		r := swfAt(t, "https://swf.example.invalid", "list-domains", "--registration-status", "REGISTERED", "--region", "us-west-2")
		wantExit(t, r, ExitConfig, "Unable to locate credentials.")
	})
	t.Run("UnknownProfile", func(t *testing.T) {
		t.Parallel()
		r := swfAt(t, url, "list-domains", "--registration-status", "REGISTERED", "--profile", "nope")
		wantExit(t, r, ExitConfig, "The config profile (nope) could not be found")
	})
}

// captured is one request a fake service received.
type captured struct {
	target, contentType, auth, body string
}

// fakeService answers every request with status and body, recording it.
func fakeService(t *testing.T, answer func(n int) (int, string)) (string, func() []captured) {
	t.Helper()
	var (
		reqs []captured
		ch   = make(chan captured, 100)
	)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := new(strings.Builder)
		buf := make([]byte, 4096)
		for {
			k, err := r.Body.Read(buf)
			b.Write(buf[:k])
			if err != nil {
				break
			}
		}
		ch <- captured{r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type"), r.Header.Get("Authorization"), b.String()}
		status, body := answer(int(n.Add(1)))
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []captured {
		for {
			select {
			case c := <-ch:
				reqs = append(reqs, c)
			default:
				return reqs
			}
		}
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	t.Run("ThenSuccess", func(t *testing.T) {
		t.Parallel()
		url, reqs := fakeService(t, func(n int) (int, string) {
			if n < 3 {
				return 503, `{"__type": "ServiceUnavailable", "message": "busy"}`
			}
			return 200, `{"domainInfos": []}`
		})
		r := swfAt(t, url, "list-domains", "--registration-status", "REGISTERED")
		if r.code != 0 || r.stdout != "{\n    \"domainInfos\": []\n}\n" {
			t.Fatalf("got %v", r)
		}
		if n := len(reqs()); n != 3 {
			t.Fatalf("got %d requests, want 3", n)
		}
	})
	t.Run("Exhausted", func(t *testing.T) {
		t.Parallel()
		url, reqs := fakeService(t, func(int) (int, string) {
			return 400, `{"__type": "com.amazon.coral.availability#ThrottlingException", "message": "Rate exceeded"}`
		})
		r := swfAt(t, url, "describe-domain", "--name", "d")
		wantExit(t, r, ExitServiceError, "An error occurred (ThrottlingException) when calling the DescribeDomain operation (reached max retries: 2): Rate exceeded")
		if n := len(reqs()); n != 3 {
			t.Fatalf("got %d requests, want 3", n)
		}
	})
	t.Run("FaultNotRetried", func(t *testing.T) {
		t.Parallel()
		url, reqs := fakeService(t, func(int) (int, string) {
			return 400, `{"__type": "com.amazonaws.swf.base.model#UnknownResourceFault", "message": "Unknown domain: d"}`
		})
		r := swfAt(t, url, "describe-domain", "--name", "d")
		wantExit(t, r, ExitServiceError, "\nAn error occurred (UnknownResourceFault) when calling the DescribeDomain operation: Unknown domain: d\n")
		if n := len(reqs()); n != 1 {
			t.Fatalf("got %d requests, want 1", n)
		}
	})
}

// TestRequest checks what is sent: the AWS JSON 1.0 headers, a SigV4
// signature for service swf (with dummy keys for a local server when none
// are configured), and the body built from the flags.
func TestRequest(t *testing.T) {
	t.Parallel()
	url, reqs := fakeService(t, func(int) (int, string) { return 200, `{"cancelRequested": true}` })
	r := swfAt(t, url, "record-activity-task-heartbeat", "--task-token", "tok", "--details", "d")
	if r.code != 0 {
		t.Fatal(r)
	}
	got := reqs()
	if len(got) != 1 {
		t.Fatalf("got %d requests", len(got))
	}
	c := got[0]
	if c.target != "SimpleWorkflowService.RecordActivityTaskHeartbeat" || c.contentType != "application/x-amz-json-1.0" {
		t.Errorf("got target %q, content type %q", c.target, c.contentType)
	}
	if !strings.HasPrefix(c.auth, "AWS4-HMAC-SHA256 Credential=openswf/") || !strings.Contains(c.auth, "/us-east-1/swf/aws4_request") {
		t.Errorf("got Authorization %q, want SigV4 with the dummy key for us-east-1/swf", c.auth)
	}
	if c.body != `{"details":"d","taskToken":"tok"}` {
		t.Errorf("got body %s", c.body)
	}

	r = swfAt(t, url, "record-activity-task-heartbeat", "--task-token", "tok", "--no-sign-request")
	if r.code != 0 {
		t.Fatal(r)
	}
	if got := reqs(); len(got) != 2 || got[1].auth != "" {
		t.Errorf("--no-sign-request sent Authorization %q", got[len(got)-1].auth)
	}
}

// TestConfiguration covers where endpoint, region, credentials and output
// come from: flags, the environment and the AWS config files. It sets
// environment variables, so it does not run in parallel.
func TestConfiguration(t *testing.T) {
	url, reqs := fakeService(t, func(int) (int, string) { return 200, `{"domainInfos": [{"name": "d", "status": "REGISTERED"}]}` })
	other, otherReqs := fakeService(t, func(int) (int, string) { return 200, `{"domainInfos": []}` })
	list := []string{"list-domains", "--registration-status", "REGISTERED"}

	t.Run("EnvEndpoint", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL", other)
		t.Setenv("AWS_ENDPOINT_URL_SWF", url)
		before := len(reqs())
		if r := runCLI(t, list...); r.code != 0 {
			t.Fatal(r)
		}
		if len(reqs()) != before+1 {
			t.Fatal("AWS_ENDPOINT_URL_SWF was not used")
		}
	})
	t.Run("EnvGenericEndpoint", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL", other)
		before := len(otherReqs())
		if r := runCLI(t, list...); r.code != 0 {
			t.Fatal(r)
		}
		if len(otherReqs()) != before+1 {
			t.Fatal("AWS_ENDPOINT_URL was not used")
		}
	})
	t.Run("FlagBeatsEnv", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_SWF", other)
		before := len(reqs())
		if r := swfAt(t, url, list...); r.code != 0 {
			t.Fatal(r)
		}
		if len(reqs()) != before+1 {
			t.Fatal("--endpoint-url did not win")
		}
	})
	t.Run("Default", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL", other)
		t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
		r := runCLI(t, append(list, "--debug", "--cli-connect-timeout", "1", "--cli-read-timeout", "1")...)
		if !strings.Contains(r.stderr, "endpoint "+DefaultEndpoint+", region us-east-1") {
			t.Fatalf("want the default endpoint; debug log:\n%s", r.stderr)
		}
	})
	t.Run("Profile", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "config")
		creds := filepath.Join(dir, "credentials")
		if err := os.WriteFile(cfg, []byte("[profile dev]\nregion = eu-west-1\noutput = text\nservices = local\n\n[services local]\nswf =\n  endpoint_url = "+url+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(creds, []byte("[dev]\naws_access_key_id = AKIDEV\naws_secret_access_key = secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("AWS_CONFIG_FILE", cfg)
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
		r := runCLI(t, append(list, "--profile", "dev")...)
		if r.code != 0 || r.stdout != "DOMAININFOS\td\tREGISTERED\n" {
			t.Fatalf("want text output from the profile: %v", r)
		}
		got := reqs()
		if auth := got[len(got)-1].auth; !strings.Contains(auth, "Credential=AKIDEV/") || !strings.Contains(auth, "/eu-west-1/swf/") {
			t.Fatalf("got Authorization %q, want the profile's key and region", auth)
		}
		t.Setenv("AWS_PROFILE", "dev")
		t.Setenv("AWS_DEFAULT_OUTPUT", "table")
		if r := runCLI(t, list...); r.code != 0 || !strings.Contains(r.stdout, "|       ListDomains      |") {
			t.Fatalf("want AWS_PROFILE's endpoint and AWS_DEFAULT_OUTPUT's table: %v", r)
		}
		if r := runCLI(t, append(list, "--output", "json")...); r.code != 0 || !strings.HasPrefix(r.stdout, "{") {
			t.Fatalf("--output did not win: %v", r)
		}
	})
	t.Run("EnvCredentials", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIENV")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		t.Setenv("AWS_REGION", "ap-south-1")
		if r := swfAt(t, url, list...); r.code != 0 {
			t.Fatal(r)
		}
		got := reqs()
		if auth := got[len(got)-1].auth; !strings.Contains(auth, "Credential=AKIENV/") || !strings.Contains(auth, "/ap-south-1/swf/") {
			t.Fatalf("got Authorization %q, want the environment's key and region", auth)
		}
	})
}
