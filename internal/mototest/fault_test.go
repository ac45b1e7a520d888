package mototest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

const testRole = "arn:aws:iam::123456789012:role/deploy"

// retryingClient is an STS client using the SDK's standard retryer, with
// its error classification and attempt limit but no backoff delays, so the
// tests stay fast. httpClient may be nil for the SDK's default.
func retryingClient(endpoint string, httpClient aws.HTTPClient, maxAttempts int) *sts.Client {
	return sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(baseKey, "not-a-real-secret", ""),
		HTTPClient:   httpClient,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			if maxAttempts > 0 {
				o.MaxAttempts = maxAttempts
			}
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
				return 10 * time.Millisecond, nil
			})
		}),
	})
}

// singleAttemptClient is an STS client that never retries, so a test sees
// the error each fault causes.
func singleAttemptClient(endpoint string) *sts.Client {
	return sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(baseKey, "not-a-real-secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

func assumeRole(ctx context.Context, c *sts.Client, session string) (*sts.AssumeRoleOutput, error) {
	return c.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(testRole),
		RoleSessionName: aws.String(session),
	})
}

func faultsOf(calls []Call) []FaultKind {
	out := make([]FaultKind, len(calls))
	for i, c := range calls {
		out[i] = c.Fault
	}
	return out
}

func statusesOf(calls []Call) []int {
	out := make([]int, len(calls))
	for i, c := range calls {
		out[i] = c.Status
	}
	return out
}

func TestFaultsAreRetriedBySDK(t *testing.T) {
	tests := []struct {
		name          string
		fault         Fault
		clientTimeout time.Duration // per attempt; 0 for none
		firstTimeout  time.Duration // of the first attempt only; 0 for none
		wantFaults    []FaultKind
		wantStatuses  []int
		maxElapsed    time.Duration
		minElapsed    time.Duration
	}{
		{
			name:         "throttle twice",
			fault:        Fault{Action: "AssumeRole", Count: 2, Kind: Throttle},
			wantFaults:   []FaultKind{Throttle, Throttle, NoFault},
			wantStatuses: []int{400, 400, 200},
		},
		{
			name:         "500 once",
			fault:        Fault{Count: 1, Kind: ServerError},
			wantFaults:   []FaultKind{ServerError, NoFault},
			wantStatuses: []int{500, 200},
		},
		{
			name:         "reset once",
			fault:        Fault{Action: "AssumeRole", Count: 1, Kind: Reset},
			wantFaults:   []FaultKind{Reset, NoFault},
			wantStatuses: []int{0, 200},
		},
		{
			// Only the stalled attempt has a timeout: a retry that timed out on a busy
			// machine would be a third attempt.
			name:         "stall beyond the client timeout",
			fault:        Fault{Action: "AssumeRole", Count: 1, Kind: Stall, Delay: time.Minute},
			firstTimeout: time.Second,
			wantFaults:   []FaultKind{Stall, NoFault},
			wantStatuses: []int{0, 200},
			// The client gave up after a second, long before the stall ended.
			maxElapsed: 30 * time.Second,
		},
		{
			name:          "stall within the client timeout",
			fault:         Fault{Action: "AssumeRole", Count: 1, Kind: Stall, Delay: 300 * time.Millisecond},
			clientTimeout: 30 * time.Second,
			wantFaults:    []FaultKind{Stall},
			wantStatuses:  []int{200},
			minElapsed:    300 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newTestRecorder(t, moto.URL)
			rec.AddFault(tt.fault)
			var httpClient aws.HTTPClient
			switch {
			case tt.clientTimeout > 0:
				httpClient = &http.Client{Timeout: tt.clientTimeout}
			case tt.firstTimeout > 0:
				httpClient = &timeoutOnce{first: &http.Client{Timeout: tt.firstTimeout}, rest: &http.Client{}}
			}
			start := time.Now()
			out, err := assumeRole(t.Context(), retryingClient(rec.URL, httpClient, 0), "retried")
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("AssumeRole failed despite retries: %v; calls: %v", err, rec.Calls())
			}
			attempts, ok := retry.GetAttemptResults(out.ResultMetadata)
			if !ok || len(attempts.Results) != len(tt.wantFaults) {
				t.Errorf("the SDK made %d attempts, want %d", len(attempts.Results), len(tt.wantFaults))
			}
			calls := rec.Calls()
			if got := faultsOf(calls); !slices.Equal(got, tt.wantFaults) {
				t.Errorf("recorded faults %v, want %v", got, tt.wantFaults)
			}
			if got := statusesOf(calls); !slices.Equal(got, tt.wantStatuses) {
				t.Errorf("recorded statuses %v, want %v", got, tt.wantStatuses)
			}
			for i, c := range calls {
				if c.Action != "AssumeRole" || c.Params.Get("RoleSessionName") != "retried" {
					t.Errorf("call %d: %v, want the AssumeRole attempt", i+1, c)
				}
			}
			if last := calls[len(calls)-1]; last.IssuedAccessKeyID != aws.ToString(out.Credentials.AccessKeyId) {
				t.Errorf("last call issued %q, the SDK got %q", last.IssuedAccessKeyID, aws.ToString(out.Credentials.AccessKeyId))
			}
			if tt.maxElapsed > 0 && elapsed > tt.maxElapsed {
				t.Errorf("took %v, want at most %v", elapsed, tt.maxElapsed)
			}
			if elapsed < tt.minElapsed {
				t.Errorf("took %v, want at least %v", elapsed, tt.minElapsed)
			}
		})
	}
}

// timeoutOnce is an HTTP client whose first request gives up after a timeout, as a client
// facing a stalled call does; later requests take as long as they need.
type timeoutOnce struct {
	first, rest *http.Client
	sent        atomic.Bool
}

func (c *timeoutOnce) Do(req *http.Request) (*http.Response, error) {
	if c.sent.CompareAndSwap(false, true) {
		return c.first.Do(req)
	}
	return c.rest.Do(req)
}

func TestFaultErrorsAreWhatSTSSends(t *testing.T) {
	throttle := retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}
	tests := []struct {
		kind         FaultKind
		wantStatus   int
		wantCode     string
		wantThrottle bool
	}{
		{Throttle, http.StatusBadRequest, "Throttling", true},
		{ServerError, http.StatusInternalServerError, "InternalFailure", false},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			t.Parallel()
			rec := newTestRecorder(t, moto.URL)
			rec.AddFault(Fault{Count: 1, Kind: tt.kind})
			_, err := singleAttemptClient(rec.URL).GetCallerIdentity(t.Context(), nil)
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantCode {
				t.Fatalf("error %v, want the API error %s", err, tt.wantCode)
			}
			var respErr *awshttp.ResponseError
			if !errors.As(err, &respErr) {
				t.Fatalf("error %v is not an HTTP response error", err)
			}
			if respErr.HTTPStatusCode() != tt.wantStatus {
				t.Errorf("HTTP status %d, want %d", respErr.HTTPStatusCode(), tt.wantStatus)
			}
			if respErr.ServiceRequestID() == "" {
				t.Error("the SDK read no request ID")
			}
			if got := throttle.IsErrorThrottle(err) == aws.TrueTernary; got != tt.wantThrottle {
				t.Errorf("the SDK classifies it as throttling: %v, want %v", got, tt.wantThrottle)
			}
		})
	}
	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		rec := newTestRecorder(t, moto.URL)
		rec.AddFault(Fault{Count: 1, Kind: Reset})
		_, err := singleAttemptClient(rec.URL).GetCallerIdentity(t.Context(), nil)
		if err == nil {
			t.Fatal("GetCallerIdentity succeeded over a reset connection")
		}
		if got := (retry.RetryableConnectionError{}).IsErrorRetryable(err); got != aws.TrueTernary {
			t.Errorf("the SDK does not see %v as a connection error (%v)", err, got)
		}
	})
}

func TestFaultsMatchTheirAction(t *testing.T) {
	rec := newTestRecorder(t, moto.URL)
	// Both match AssumeRole; the one added first applies to it.
	rec.AddFault(Fault{Action: "AssumeRole", Count: 1, Kind: Throttle})
	rec.AddFault(Fault{Count: 1, Kind: ServerError})
	client := singleAttemptClient(rec.URL)
	ctx := t.Context()

	_, err := client.GetSessionToken(ctx, nil)
	if code := errorCode(err); code != "InternalFailure" {
		t.Errorf("GetSessionToken: error %v, want InternalFailure", err)
	}
	if _, err := client.GetCallerIdentity(ctx, nil); err != nil {
		t.Errorf("GetCallerIdentity after the only fault for any action: %v", err)
	}
	_, err = assumeRole(ctx, client, "first")
	if code := errorCode(err); code != "Throttling" {
		t.Errorf("first AssumeRole: error %v, want Throttling", err)
	}
	if _, err := assumeRole(ctx, client, "second"); err != nil {
		t.Errorf("second AssumeRole: %v", err)
	}

	calls := rec.Calls()
	want := []FaultKind{ServerError, NoFault, Throttle, NoFault}
	if got := faultsOf(calls); !slices.Equal(got, want) {
		t.Errorf("recorded faults %v, want %v; calls: %v", got, want, calls)
	}
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func TestFaultsAndLifetimeLeaveOtherTrafficAlone(t *testing.T) {
	rec := newTestRecorder(t, moto.URL)
	rec.AddFault(Fault{Count: 1, Kind: Reset})
	rec.SetLifetime(time.Second)

	iam := http.Header{
		"Content-Type":  {"application/x-www-form-urlencoded"},
		"Authorization": {"AWS4-HMAC-SHA256 Credential=" + baseKey + "/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00"},
	}
	status, body := do(t, http.MethodPost, rec.URL+"/", []byte("Action=ListUsers&Version=2010-05-08"), iam)
	if status != http.StatusOK || !strings.Contains(string(body), "<ListUsersResponse") {
		t.Errorf("IAM ListUsers through the recorder: %d %s", status, body)
	}
	bucket := rec.URL + "/recorder-fault-passthrough"
	if status, body := do(t, http.MethodPut, bucket, nil, nil); status != http.StatusOK {
		t.Errorf("create bucket: %d %s", status, body)
	}
	if calls := rec.Calls(); len(calls) != 0 {
		t.Fatalf("recorded non-STS traffic: %v", calls)
	}

	// The fault is still pending for the first STS call.
	if _, err := singleAttemptClient(rec.URL).GetCallerIdentity(t.Context(), nil); err == nil {
		t.Error("GetCallerIdentity succeeded, want the pending reset")
	}
	if got := faultsOf(rec.Calls()); !slices.Equal(got, []FaultKind{Reset}) {
		t.Errorf("recorded faults %v, want [reset]", got)
	}
}

func TestLifetimeRewritesExpiration(t *testing.T) {
	const lifetime = 5 * time.Second
	tests := []struct {
		name string
		call func(context.Context, *sts.Client) (*time.Time, error)
	}{
		{"AssumeRole", func(ctx context.Context, c *sts.Client) (*time.Time, error) {
			out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn:         aws.String(testRole),
				RoleSessionName: aws.String("short"),
				DurationSeconds: aws.Int32(900),
			})
			if err != nil {
				return nil, err
			}
			return out.Credentials.Expiration, nil
		}},
		{"AssumeRoleWithWebIdentity", func(ctx context.Context, c *sts.Client) (*time.Time, error) {
			out, err := c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
				RoleArn:          aws.String(testRole),
				RoleSessionName:  aws.String("short"),
				WebIdentityToken: aws.String("not-a-real-jwt"),
			})
			if err != nil {
				return nil, err
			}
			return out.Credentials.Expiration, nil
		}},
		{"GetSessionToken", func(ctx context.Context, c *sts.Client) (*time.Time, error) {
			out, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
			if err != nil {
				return nil, err
			}
			return out.Credentials.Expiration, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newTestRecorder(t, moto.URL)
			client := stsClient(rec.URL, baseKey)
			// expiresIn returns how long after the call was sent, and after its answer
			// arrived, the credentials expire. The recorder wrote the expiry in between,
			// however slow the call was.
			expiresIn := func(t *testing.T) (fromSent, fromAnswer time.Duration) {
				t.Helper()
				before := time.Now()
				exp, err := tt.call(t.Context(), client)
				after := time.Now()
				if err != nil {
					t.Fatal(err)
				}
				if exp == nil {
					t.Fatal("no Expiration in the response")
				}
				return exp.Sub(before), exp.Sub(after)
			}
			// Expirations are whole seconds, so a second either way.
			wrong := func(fromSent, fromAnswer, lifetime time.Duration) bool {
				return fromSent < lifetime-time.Second || fromAnswer > lifetime+time.Second
			}

			rec.SetLifetime(lifetime)
			if fromSent, fromAnswer := expiresIn(t); wrong(fromSent, fromAnswer, lifetime) {
				t.Errorf("with a lifetime of %v, credentials expire %v after the call and %v after its answer", lifetime, fromSent, fromAnswer)
			}
			rec.SetLifetime(-time.Hour)
			if fromSent, fromAnswer := expiresIn(t); wrong(fromSent, fromAnswer, -time.Hour) {
				t.Errorf("with a lifetime of -1h, credentials expire %v after the call and %v after its answer", fromSent, fromAnswer)
			}
			// Off again, moto's expiry from DurationSeconds (default for
			// web identity: an hour) comes through.
			rec.SetLifetime(0)
			if _, fromAnswer := expiresIn(t); fromAnswer < 850*time.Second {
				t.Errorf("with the lifetime off, credentials expire %v after the answer, want moto's 900s or more", fromAnswer)
			}
		})
	}
}

func TestSpoiledAnswers(t *testing.T) {
	const body = `<AssumeRoleResponse><AssumeRoleResult><AssumedRoleUser>` +
		`<Arn>arn:aws:sts::111111111111:assumed-role/deploy/jane</Arn></AssumedRoleUser>` +
		`<Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s3cret</SecretAccessKey>` +
		`<Expiration>2030-01-01T00:00:00.000Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`
	tests := []struct {
		kind       FaultKind
		gone, want string
	}{
		{NoKey, "ASIA1", "<AccessKeyId></AccessKeyId>"},
		{NoSecret, "s3cret", "<Credentials><AccessKeyId>ASIA1</AccessKeyId><Expiration>"},
		{NoExpiration, "<Expiration>", "s3cret</SecretAccessKey></Credentials>"},
		{Expired, "2030-01-01", "<Expiration>"},
		{OtherAccount, "111111111111", "<Arn>arn:aws:sts::999999999999:assumed-role/deploy/jane</Arn>"},
		{OtherRole, "/deploy/", "<Arn>arn:aws:sts::111111111111:assumed-role/intruder/jane</Arn>"},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			if !tt.kind.spoils() {
				t.Fatalf("%v does not spoil answers", tt.kind)
			}
			req, err := http.NewRequestWithContext(context.WithValue(t.Context(), spoilKey{}, tt.kind), http.MethodPost, "http://127.0.0.1/", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: req}
			if err := rewriteAnswer(resp); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(got), tt.gone) || !strings.Contains(string(got), tt.want) {
				t.Errorf("spoiled answer %s\nwant it without %q and with %q", got, tt.gone, tt.want)
			}
			if tt.kind == Expired {
				m := expirationElement.Find(got)
				at, err := time.Parse(time.RFC3339, strings.TrimSuffix(strings.TrimPrefix(string(m), "<Expiration>"), "</Expiration>"))
				if err != nil || !at.Before(time.Now()) {
					t.Errorf("expired answer holds %s (%v), want an expiry in the past", m, err)
				}
			}
		})
	}
	for _, k := range []FaultKind{Throttle, ServerError, Stall, Reset} {
		if k.spoils() {
			t.Errorf("%v spoils answers; it should not forward them", k)
		}
	}
}

func TestSetExpiration(t *testing.T) {
	const body = `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId>` +
		`<Expiration>2030-01-01T00:00:00.000Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`
	at := time.Now().Add(time.Minute).UTC().Round(time.Second).Format(time.RFC3339)
	rewritten := strings.Replace(body, "2030-01-01T00:00:00.000Z", at, 1)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(body))
	zw.Close()
	tests := []struct {
		name     string
		status   int
		encoding string
		body     string
		lifetime time.Duration // 0: the request carries none
		want     string
	}{
		{"rewritten", http.StatusOK, "", body, time.Minute, rewritten},
		{"gzip", http.StatusOK, "gzip", zipped.String(), time.Minute, rewritten},
		{"no lifetime", http.StatusOK, "", body, 0, body},
		{"error response", http.StatusForbidden, "", body, time.Minute, body},
		{"no credentials", http.StatusOK, "", "<GetCallerIdentityResponse/>", time.Minute, "<GetCallerIdentityResponse/>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.lifetime != 0 {
				ctx = context.WithValue(ctx, lifetimeKey{}, tt.lifetime)
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1/", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp := &http.Response{
				StatusCode:    tt.status,
				Header:        http.Header{"Content-Length": {strconv.Itoa(len(tt.body))}},
				Body:          io.NopCloser(strings.NewReader(tt.body)),
				ContentLength: int64(len(tt.body)),
				Request:       req,
			}
			if tt.encoding != "" {
				resp.Header.Set("Content-Encoding", tt.encoding)
			}
			if err := rewriteAnswer(resp); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			// The rewrite goes out uncompressed; an untouched body stays as it was.
			wantEncoding := tt.encoding
			if tt.lifetime != 0 && tt.status == http.StatusOK {
				wantEncoding = ""
			}
			if string(got) != tt.want {
				t.Errorf("body %q, want %q", got, tt.want)
			}
			if enc := resp.Header.Get("Content-Encoding"); enc != wantEncoding {
				t.Errorf("Content-Encoding %q, want %q", enc, wantEncoding)
			}
			if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(got)) || resp.ContentLength != int64(len(got)) {
				t.Errorf("Content-Length %q (%d), body has %d bytes", cl, resp.ContentLength, len(got))
			}
		})
	}
}

func TestFaultsAndLifetimeUnderConcurrency(t *testing.T) {
	const (
		callers        = 16
		adders         = 4
		throttlesEach  = 3
		serverErrsEach = 2
		lifetime       = 10 * time.Second
		totalFaults    = adders * (throttlesEach + serverErrsEach)
	)
	rec := newTestRecorder(t, moto.URL)
	// Every fault could land on one caller, which must still succeed.
	client := retryingClient(rec.URL, nil, totalFaults+1)
	ctx := t.Context()
	rec.SetLifetime(lifetime)

	issued := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for range adders {
		wg.Go(func() {
			rec.AddFault(Fault{Action: "AssumeRole", Count: throttlesEach, Kind: Throttle})
			rec.AddFault(Fault{Count: serverErrsEach, Kind: ServerError})
		})
	}
	done := make(chan struct{})
	var watchers sync.WaitGroup
	watchers.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
				rec.SetLifetime(lifetime)
				_ = rec.Calls()
			}
		}
	})
	for i := range callers {
		wg.Go(func() {
			out, err := assumeRole(ctx, client, fmt.Sprintf("c-%d", i))
			if err != nil {
				errs[i] = err
				return
			}
			issued[i] = aws.ToString(out.Credentials.AccessKeyId)
			if left := time.Until(aws.ToTime(out.Credentials.Expiration)); left > lifetime+time.Second {
				errs[i] = fmt.Errorf("credentials expire in %v, want at most %v", left, lifetime)
			}
		})
	}
	wg.Wait()
	close(done)
	watchers.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	// The adders may have finished after some callers: faults left over go
	// to these sequential calls, until one passes untouched.
	drain := singleAttemptClient(rec.URL)
	for i := 0; ; i++ {
		if i > totalFaults {
			t.Fatalf("%d faults were added, but more calls failed", totalFaults)
		}
		_, err := drain.GetCallerIdentity(ctx, nil)
		if err == nil {
			break
		}
		if code := errorCode(err); code != "Throttling" && code != "InternalFailure" {
			t.Fatalf("drain call: %v", err)
		}
	}

	calls := rec.Calls()
	count := make(map[FaultKind]int)
	recordedIssued := make(map[string]bool)
	for _, c := range calls {
		count[c.Fault]++
		if c.IssuedAccessKeyID != "" {
			recordedIssued[c.IssuedAccessKeyID] = true
		}
		wantStatus := map[FaultKind]int{NoFault: 200, Throttle: 400, ServerError: 500}[c.Fault]
		if c.Status != wantStatus {
			t.Errorf("call %v: status %d, want %d", c, c.Status, wantStatus)
		}
	}
	if count[Throttle] != adders*throttlesEach || count[ServerError] != adders*serverErrsEach {
		t.Errorf("recorded %d throttles and %d 500s, want %d and %d", count[Throttle], count[ServerError], adders*throttlesEach, adders*serverErrsEach)
	}
	if count[NoFault] != callers+1 {
		t.Errorf("recorded %d calls without a fault, want %d", count[NoFault], callers+1)
	}
	for i, key := range issued {
		if !recordedIssued[key] {
			t.Errorf("caller %d got key %q, which no recorded call issued", i, key)
		}
	}
}

func TestFaultKindNames(t *testing.T) {
	for k := Throttle; k <= OtherRole; k++ {
		got, err := parseFaultKind(k.String())
		if err != nil || got != k {
			t.Errorf("parseFaultKind(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
	}
	for _, name := range []string{"", "none", "Throttle", "503", "FaultKind(9)"} {
		if k, err := parseFaultKind(name); err == nil {
			t.Errorf("parseFaultKind(%q) = %v, want an error", name, k)
		}
	}
}

func TestAddFaultPanicsOnMistakes(t *testing.T) {
	rec := newTestRecorder(t, moto.URL)
	for _, f := range []Fault{
		{Count: 1},
		{Count: 1, Kind: OtherRole + 1},
		{Count: 0, Kind: Throttle},
		{Count: -1, Kind: Stall},
	} {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("AddFault(%+v) did not panic", f)
				}
			}()
			rec.AddFault(f)
		})
	}
}

func TestStallEndsWhenTheClientGivesUp(t *testing.T) {
	tests := []struct {
		name        string
		delay       time.Duration
		cancelAfter time.Duration // 0: never
		want        bool
	}{
		{"delay passes", 50 * time.Millisecond, 0, true},
		{"client gives up first", time.Hour, 50 * time.Millisecond, false},
		{"held until the client gives up", 0, 50 * time.Millisecond, false},
	}
	for _, tt := range tests {
		// In a bubble the clock moves only when stall waits, so it takes exactly as long
		// as it should, however busy the machine.
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tt.cancelAfter > 0 {
					time.AfterFunc(tt.cancelAfter, cancel)
				}
				start := time.Now()
				if got := stall(ctx, tt.delay); got != tt.want {
					t.Errorf("stall = %v, want %v", got, tt.want)
				}
				if elapsed := time.Since(start); elapsed != 50*time.Millisecond {
					t.Errorf("stall took %v, want 50ms", elapsed)
				}
			})
		})
	}
}

func TestActionLifetime(t *testing.T) {
	t.Parallel()
	rec := newTestRecorder(t, moto.URL)
	client := stsClient(rec.URL, baseKey)
	assume := func() time.Duration {
		t.Helper()
		out, err := client.AssumeRole(t.Context(), &sts.AssumeRoleInput{
			RoleArn: aws.String(testRole), RoleSessionName: aws.String("short"), DurationSeconds: aws.Int32(900),
		})
		if err != nil {
			t.Fatal(err)
		}
		return time.Until(aws.ToTime(out.Credentials.Expiration))
	}
	session := func() time.Duration {
		t.Helper()
		out, err := client.GetSessionToken(t.Context(), &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(7200)})
		if err != nil {
			t.Fatal(err)
		}
		return time.Until(aws.ToTime(out.Credentials.Expiration))
	}
	near := func(got, want time.Duration) bool { return got > want-2*time.Second && got <= want+time.Second }

	rec.SetActionLifetime("AssumeRole", 5*time.Second)
	if got := assume(); !near(got, 5*time.Second) {
		t.Errorf("AssumeRole with its own lifetime of 5s: credentials expire in %v", got)
	}
	if got := session(); got < 7000*time.Second {
		t.Errorf("GetSessionToken with no lifetime: credentials expire in %v, want moto's 2h", got)
	}
	// The lifetime of every call does not change the one set for AssumeRole.
	rec.SetLifetime(10 * time.Second)
	if got := session(); !near(got, 10*time.Second) {
		t.Errorf("GetSessionToken with the lifetime of every call, 10s: credentials expire in %v", got)
	}
	if got := assume(); !near(got, 5*time.Second) {
		t.Errorf("AssumeRole with its own lifetime of 5s beside 10s for every call: credentials expire in %v", got)
	}
	// 0 for one action leaves its answers alone.
	rec.SetActionLifetime("AssumeRole", 0)
	if got := assume(); got < 850*time.Second {
		t.Errorf("AssumeRole with its own lifetime off: credentials expire in %v, want moto's 900s", got)
	}
}
