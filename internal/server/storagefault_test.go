package server

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
	"github.com/aws/smithy-go"
)

// Once the engine reports that storage failed (its FatalFunc), every call
// is answered with a 503 ServiceUnavailableException, reads included (the
// engine's memory may hold what the disk does not), and StorageFailed is
// closed so that the owner stops the server. Close still works.
func TestStorageFailedRefusesEveryCall(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := sdkClient(srv)
	ctx := context.Background()
	list := func() error {
		_, err := c.ListDomains(ctx, &awsswf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered})
		return err
	}
	if err := list(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.StorageFailed():
		t.Fatal("StorageFailed is closed before any failure")
	default:
	}
	srv.storageFailed(errors.New("write failed: disk full"))
	srv.storageFailed(errors.New("a second failure")) // reported once; no panic
	select {
	case <-srv.StorageFailed():
	default:
		t.Fatal("StorageFailed is not closed after the failure")
	}
	for _, call := range []func() error{list, func() error {
		_, err := c.RegisterDomain(ctx, &awsswf.RegisterDomainInput{Name: aws.String("d"), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
		return err
	}} {
		err := call()
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "ServiceUnavailableException" || !strings.Contains(api.ErrorMessage(), "storage failed") {
			t.Fatalf("after storage failed: %v, want a ServiceUnavailableException saying storage failed", err)
		}
	}
}
