package mototest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/rogpeppe/go-internal/testscript"
)

// cmdSTS implements "sts ACTION [NAME=VALUE ...]" for this package's scripts: one STS query
// request to $STS with those wire parameters, signed with the script's AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY. It makes the calls the scripts in testdata/fail check, in
// milliseconds where each AWS CLI run costs a second of CPU, and it never retries: every
// call on the wire is one the script asked for. The answer goes to stdout; an answer other
// than 200, or none, fails it, so "! sts ..." expects a failure.
func cmdSTS(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: sts ACTION [NAME=VALUE ...]")
	}
	form := url.Values{"Action": {args[0]}, "Version": {"2011-06-15"}}
	for _, kv := range args[1:] {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			ts.Fatalf("sts: %q is not NAME=VALUE", kv)
		}
		form.Add(name, value)
	}
	status, body, err := postSTS(ts.Getenv("STS"), form, aws.Credentials{
		AccessKeyID:     ts.Getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: ts.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    ts.Getenv("AWS_SESSION_TOKEN"),
	})
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("status %d: %s", status, body)
	}
	if err == nil {
		fmt.Fprintf(ts.Stdout(), "%s\n", body)
	}
	switch {
	case err != nil && !neg:
		ts.Fatalf("sts %s: %v", args[0], err)
	case err == nil && neg:
		ts.Fatalf("sts %s succeeded, want a failure", args[0])
	}
}

// postSTS sends form to endpoint, signed with creds, and returns the answer.
func postSTS(endpoint string, form url.Values, creds aws.Credentials) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	payload := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(payload))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
		return 0, nil, fmt.Errorf("sign: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("read answer: %w", err)
	}
	return resp.StatusCode, body, nil
}
