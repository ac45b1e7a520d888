package mototest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
)

const baseKey = "AKIDRECORDERTEST"

func newTestRecorder(t *testing.T, target string) *Recorder {
	t.Helper()
	rec, err := NewRecorder(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rec.Close(); err != nil {
			t.Error(err)
		}
	})
	return rec
}

func stsClient(endpoint, accessKeyID string) *sts.Client {
	return sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, "not-a-real-secret", ""),
	})
}

func TestRecorderRecordsSDKCalls(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/deploy"
	tests := []struct {
		name       string
		call       func(context.Context, *sts.Client) (issued string, err error)
		wantAction string
		wantParams url.Values
		wantSigner string
		wantIssued bool
	}{
		{
			name: "AssumeRole",
			call: func(ctx context.Context, c *sts.Client) (string, error) {
				out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{
					RoleArn:         aws.String(role),
					RoleSessionName: aws.String("alice"),
					DurationSeconds: aws.Int32(900),
					ExternalId:      aws.String("ext-1234"),
					SourceIdentity:  aws.String("alice"),
					Tags:            []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}},
					PolicyArns:      []types.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}},
				})
				if err != nil {
					return "", err
				}
				return aws.ToString(out.Credentials.AccessKeyId), nil
			},
			wantAction: "AssumeRole",
			wantParams: url.Values{
				"RoleArn":                 {role},
				"RoleSessionName":         {"alice"},
				"DurationSeconds":         {"900"},
				"ExternalId":              {"ext-1234"},
				"SourceIdentity":          {"alice"},
				"Tags.member.1.Key":       {"team"},
				"Tags.member.1.Value":     {"ops"},
				"PolicyArns.member.1.arn": {"arn:aws:iam::aws:policy/ReadOnlyAccess"},
			},
			wantSigner: baseKey,
			wantIssued: true,
		},
		{
			name: "AssumeRoleWithWebIdentity is unsigned",
			call: func(ctx context.Context, c *sts.Client) (string, error) {
				out, err := c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
					RoleArn:          aws.String(role),
					RoleSessionName:  aws.String("ci"),
					WebIdentityToken: aws.String("not-a-real-jwt"),
				})
				if err != nil {
					return "", err
				}
				return aws.ToString(out.Credentials.AccessKeyId), nil
			},
			wantAction: "AssumeRoleWithWebIdentity",
			wantParams: url.Values{
				"RoleArn":          {role},
				"RoleSessionName":  {"ci"},
				"WebIdentityToken": {"not-a-real-jwt"},
			},
			wantIssued: true,
		},
		{
			name: "GetSessionToken",
			call: func(ctx context.Context, c *sts.Client) (string, error) {
				out, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{
					SerialNumber: aws.String("arn:aws:iam::123456789012:mfa/alice"),
					TokenCode:    aws.String("123456"),
				})
				if err != nil {
					return "", err
				}
				return aws.ToString(out.Credentials.AccessKeyId), nil
			},
			wantAction: "GetSessionToken",
			wantParams: url.Values{
				"SerialNumber": {"arn:aws:iam::123456789012:mfa/alice"},
				"TokenCode":    {"123456"},
			},
			wantSigner: baseKey,
			wantIssued: true,
		},
		{
			name: "GetCallerIdentity issues nothing",
			call: func(ctx context.Context, c *sts.Client) (string, error) {
				_, err := c.GetCallerIdentity(ctx, nil)
				return "", err
			},
			wantAction: "GetCallerIdentity",
			wantParams: url.Values{},
			wantSigner: baseKey,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newTestRecorder(t, moto.URL)
			issued, err := tt.call(t.Context(), stsClient(rec.URL, baseKey))
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantIssued && issued == "" {
				t.Fatal("moto issued no access key")
			}
			calls := rec.Calls()
			if len(calls) != 1 {
				t.Fatalf("recorded %d calls, want 1: %v", len(calls), calls)
			}
			want := Call{
				Action:            tt.wantAction,
				Params:            tt.wantParams,
				AccessKeyID:       tt.wantSigner,
				IssuedAccessKeyID: issued,
				Status:            http.StatusOK,
			}
			if !reflect.DeepEqual(calls[0], want) {
				t.Errorf("recorded\n%v\nwant\n%v", calls[0], want)
			}
		})
	}
}

func TestRecorderChainedCalls(t *testing.T) {
	rec := newTestRecorder(t, moto.URL)
	out, err := stsClient(rec.URL, baseKey).AssumeRole(t.Context(), &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::123456789012:role/first"),
		RoleSessionName: aws.String("hop1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	hop := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(rec.URL),
		Credentials: credentials.NewStaticCredentialsProvider(
			aws.ToString(out.Credentials.AccessKeyId),
			aws.ToString(out.Credentials.SecretAccessKey),
			aws.ToString(out.Credentials.SessionToken)),
	})
	if _, err := hop.GetCallerIdentity(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	calls := rec.Calls()
	if len(calls) != 2 {
		t.Fatalf("recorded %d calls, want 2", len(calls))
	}
	if calls[1].AccessKeyID != calls[0].IssuedAccessKeyID {
		t.Errorf("second call signed by %q, want %q issued by the first", calls[1].AccessKeyID, calls[0].IssuedAccessKeyID)
	}
}

func TestRecorderConcurrentCalls(t *testing.T) {
	const n = 16
	rec := newTestRecorder(t, moto.URL)
	client := stsClient(rec.URL, baseKey)
	issued := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			out, err := client.AssumeRole(t.Context(), &sts.AssumeRoleInput{
				RoleArn:         aws.String("arn:aws:iam::123456789012:role/deploy"),
				RoleSessionName: aws.String(fmt.Sprintf("s-%d", i)),
			})
			if err != nil {
				errs[i] = err
				return
			}
			issued[i] = aws.ToString(out.Credentials.AccessKeyId)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	calls := rec.Calls()
	if len(calls) != n {
		t.Fatalf("recorded %d calls, want %d", len(calls), n)
	}
	// Every session maps to the key its own response issued.
	got := make(map[string]string)
	for _, c := range calls {
		got[c.Params.Get("RoleSessionName")] = c.IssuedAccessKeyID
	}
	for i := range n {
		session := fmt.Sprintf("s-%d", i)
		if got[session] != issued[i] {
			t.Errorf("session %s: recorded issued key %q, want %q", session, got[session], issued[i])
		}
	}
}

// do sends one unsigned request and returns the status and body.
func do(t *testing.T, method, url string, body []byte, header http.Header) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range header {
		req.Header[name] = values
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, data
}

func TestRecorderPassesOtherTrafficThrough(t *testing.T) {
	rec := newTestRecorder(t, moto.URL)
	blob := make([]byte, 1<<20)
	rand.Read(blob)

	bucket := "/recorder-passthrough"
	if status, body := do(t, http.MethodPut, rec.URL+bucket, nil, nil); status != http.StatusOK {
		t.Fatalf("create bucket: %d %s", status, body)
	}
	// moto refuses unsigned reads of private objects.
	public := http.Header{"X-Amz-Acl": {"public-read"}, "Content-Type": {"application/octet-stream"}}
	if status, body := do(t, http.MethodPut, rec.URL+bucket+"/blob", blob, public); status != http.StatusOK {
		t.Fatalf("put object: %d %s", status, body)
	}
	for _, base := range []string{rec.URL, moto.URL} {
		status, got := do(t, http.MethodGet, base+bucket+"/blob", nil, nil)
		if status != http.StatusOK || !bytes.Equal(got, blob) {
			t.Errorf("get object from %s: status %d, %d bytes equal to the %d put: %v", base, status, len(got), len(blob), bytes.Equal(got, blob))
		}
	}

	// IAM also speaks the query protocol; its credential scope tells it apart.
	iam := http.Header{
		"Content-Type":  {"application/x-www-form-urlencoded"},
		"Authorization": {"AWS4-HMAC-SHA256 Credential=" + baseKey + "/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00"},
	}
	status, body := do(t, http.MethodPost, rec.URL+"/", []byte("Action=ListUsers&Version=2010-05-08"), iam)
	if status != http.StatusOK || !strings.Contains(string(body), "<ListUsersResponse") {
		t.Errorf("IAM ListUsers through the recorder: %d %s", status, body)
	}

	if calls := rec.Calls(); len(calls) != 0 {
		t.Errorf("recorded non-STS traffic: %v", calls)
	}
}

func TestRecorderCallsIsACopy(t *testing.T) {
	rec := newTestRecorder(t, moto.URL)
	if _, err := stsClient(rec.URL, baseKey).GetCallerIdentity(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	first := rec.Calls()
	first[0].Action = "Changed"
	first[0].Params.Set("RoleArn", "changed")
	second := rec.Calls()
	if second[0].Action != "GetCallerIdentity" || len(second[0].Params) != 0 {
		t.Errorf("changing the result of Calls changed the recorder: %v", second[0])
	}
	rec.Reset()
	if calls := rec.Calls(); len(calls) != 0 {
		t.Errorf("after Reset: %d calls, want 0", len(calls))
	}
}

func TestNewRecorderRejectsNonLoopbackTargets(t *testing.T) {
	for _, target := range []string{
		"http://example.com",
		"http://10.0.0.1:5000",
		"https://127.0.0.1:5000",
		"127.0.0.1:5000",
		"http://%zz",
	} {
		t.Run(target, func(t *testing.T) {
			rec, err := NewRecorder(target)
			if err == nil {
				rec.Close()
				t.Fatalf("NewRecorder(%q) succeeded", target)
			}
		})
	}
}

func TestCredentialScope(t *testing.T) {
	tests := []struct {
		header, key, service string
	}{
		{"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc", "AKID", "sts"},
		{"AWS4-HMAC-SHA256 SignedHeaders=host,Credential=AKID/20260101/eu-west-1/iam/aws4_request,Signature=abc", "AKID", "iam"},
		{"AWS4-HMAC-SHA256 Credential=AKID/broken", "AKID", ""},
		{"", "", ""},
		{"Bearer token", "", ""},
	}
	for _, tt := range tests {
		key, service := credentialScope(tt.header)
		if key != tt.key || service != tt.service {
			t.Errorf("credentialScope(%q) = %q, %q; want %q, %q", tt.header, key, service, tt.key, tt.service)
		}
	}
}

func TestIssuedKey(t *testing.T) {
	const assumed = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><Arn>arn</Arn></AssumedRoleUser><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>s</SecretAccessKey></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(assumed))
	zw.Close()
	tests := []struct {
		name, encoding, body, want string
	}{
		{"assume role", "", assumed, "ASIAEXAMPLE"},
		{"gzip", "gzip", zipped.String(), "ASIAEXAMPLE"},
		{"caller identity", "", `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>`, ""},
		{"error", "", `<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>`, ""},
		{"not xml", "", `{"a":1}`, ""},
		{"bad gzip", "gzip", assumed, ""},
	}
	for _, tt := range tests {
		if got := issuedKey(tt.encoding, []byte(tt.body)); got != tt.want {
			t.Errorf("%s: issuedKey = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCallStringHidesTokens(t *testing.T) {
	c := Call{
		Action: "AssumeRoleWithWebIdentity",
		Params: url.Values{"WebIdentityToken": {"eyJsecret"}, "RoleSessionName": {"ci"}},
		Status: http.StatusOK,
	}
	s := c.String()
	if strings.Contains(s, "eyJsecret") {
		t.Errorf("String shows the token: %s", s)
	}
	for _, want := range []string{"AssumeRoleWithWebIdentity", "RoleSessionName=ci", "WebIdentityToken=<9 bytes, hidden>"} {
		if !strings.Contains(s, want) {
			t.Errorf("String = %q, does not contain %q", s, want)
		}
	}
}
