package wire

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
	"github.com/aws/smithy-go"

	"github.com/openswf/openswf/internal/swf"
)

// newSDKClient starts the handler over the fake engine on a local server and
// returns an aws-sdk-go-v2 client pointed at it, so these tests check what a
// real client makes of our answers.
func newSDKClient(tb testing.TB) *awsswf.Client {
	tb.Helper()
	b := setup(tb, swf.DefaultLimits())
	srv := httptest.NewServer(b.handler)
	tb.Cleanup(srv.Close)
	return awsswf.New(awsswf.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

func TestSDK(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		c := newSDKClient(t)
		out, err := c.DescribeDomain(ctx, &awsswf.DescribeDomainInput{Name: aws.String("d1")})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.DomainInfo.Name); got != "d1" {
			t.Fatalf("got domain %q, want d1", got)
		}
		if out.DomainInfo.Status != types.RegistrationStatusRegistered {
			t.Fatalf("got status %q, want REGISTERED", out.DomainInfo.Status)
		}
		if _, err := c.DeprecateDomain(ctx, &awsswf.DeprecateDomainInput{Name: aws.String("d1")}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ModelFault", func(t *testing.T) {
		t.Parallel()
		c := newSDKClient(t)
		_, err := c.DescribeDomain(ctx, &awsswf.DescribeDomainInput{Name: aws.String("missing")})
		var f *types.UnknownResourceFault
		if !errors.As(err, &f) {
			t.Fatalf("got %v, want *types.UnknownResourceFault", err)
		}
		if got := f.ErrorMessage(); got != "Unknown domain: missing" {
			t.Fatalf("got message %q, want %q", got, "Unknown domain: missing")
		}
	})

	for name, tc := range map[string]struct{ domain, code string }{
		"Validation": {"invalid", "ValidationException"},
		"Throttling": {"throttled", "ThrottlingException"},
		"Internal":   {"boom", "InternalFailure"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newSDKClient(t)
			_, err := c.DescribeDomain(ctx, &awsswf.DescribeDomainInput{Name: aws.String(tc.domain)})
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != tc.code {
				t.Fatalf("got %v, want API error %s", err, tc.code)
			}
		})
	}

	t.Run("Unsupported", func(t *testing.T) {
		t.Parallel()
		c := newSDKClient(t)
		_, err := c.CountPendingActivityTasks(ctx, &awsswf.CountPendingActivityTasksInput{
			Domain: aws.String("d"), TaskList: &types.TaskList{Name: aws.String("t")},
		})
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "UnknownOperationException" ||
			!strings.Contains(api.ErrorMessage(), "not supported") {
			t.Fatalf("got %v, want UnknownOperationException saying not supported", err)
		}
	})
}
