package mototest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// FaultKind is a way for the Recorder to fail an STS call.
type FaultKind int

const (
	// NoFault means the call passed through to moto normally.
	NoFault FaultKind = iota
	// Throttle answers HTTP 400 with the STS Throttling error, as STS does
	// when a caller exceeds its request rate.
	Throttle
	// ServerError answers HTTP 500 with the STS InternalFailure error.
	ServerError
	// Stall holds the call for Fault.Delay, or until the client gives up
	// if that comes first, then forwards it if the client is still waiting.
	Stall
	// Reset closes the connection without an answer, with a TCP reset.
	Reset

	// The kinds below forward the call and spoil moto's successful answer, the
	// way a broken or hostile STS could; the client gets HTTP 200.

	// NoKey answers with an empty Credentials.AccessKeyId.
	NoKey
	// NoSecret answers without Credentials.SecretAccessKey.
	NoSecret
	// NoExpiration answers without Credentials.Expiration.
	NoExpiration
	// Expired answers with credentials that expired an hour ago.
	Expired
	// OtherAccount answers with an AssumedRoleUser.Arn in account
	// 999999999999.
	OtherAccount
	// OtherRole answers with an AssumedRoleUser.Arn of the role "intruder".
	OtherRole
)

// faultNames are the names the stsfault command uses, by kind.
var faultNames = map[FaultKind]string{
	NoFault: "none", Throttle: "throttle", ServerError: "500", Stall: "stall", Reset: "reset",
	NoKey: "nokey", NoSecret: "nosecret", NoExpiration: "noexpiration", Expired: "expired",
	OtherAccount: "otheraccount", OtherRole: "otherrole",
}

// String returns the name the stsfault command uses for k: "throttle",
// "500", "stall", "reset", "nokey", ..., or "none" for NoFault.
func (k FaultKind) String() string {
	if name, ok := faultNames[k]; ok {
		return name
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// spoils reports whether k forwards the call and spoils its answer.
func (k FaultKind) spoils() bool { return k >= NoKey && k <= OtherRole }

// parseFaultKind returns the kind String names; "none" is not accepted,
// since only an actual fault can be injected.
func parseFaultKind(name string) (FaultKind, error) {
	for k := Throttle; k <= OtherRole; k++ {
		if name == k.String() {
			return k, nil
		}
	}
	return NoFault, fmt.Errorf("unknown fault kind %q; want throttle, 500, stall, reset, nokey, nosecret, noexpiration, expired, otheraccount or otherrole", name)
}

// Fault is what the Recorder does to the next matching STS calls instead of,
// or before, forwarding them.
type Fault struct {
	// Action limits the fault to calls with this action, e.g. "AssumeRole";
	// "" matches every STS call.
	Action string
	// Count is how many matching calls get the fault; later ones pass
	// normally.
	Count int
	// Kind is what happens to those calls.
	Kind FaultKind
	// Delay is how long a Stall holds each call; 0 holds it until the
	// client gives up. Other kinds ignore it.
	Delay time.Duration
}

// AddFault makes the next f.Count STS calls matching f.Action get the
// fault. When several added faults match a call, the one added first
// applies. Other traffic (S3, IAM, ...) is never faulted.
//
// AddFault panics if f.Kind is not one of the fault kinds, or f.Count is
// below 1: such a fault is a mistake in the test.
func (r *Recorder) AddFault(f Fault) {
	if f.Kind < Throttle || f.Kind > OtherRole {
		panic(fmt.Sprintf("mototest: AddFault with invalid kind %v", f.Kind))
	}
	if f.Count < 1 {
		panic(fmt.Sprintf("mototest: AddFault with count %d, want at least 1", f.Count))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = append(r.faults, f)
}

// SetLifetime makes the Recorder rewrite Credentials.Expiration in
// successful STS responses to the time of the response plus d, rounded to
// the second, so that tests get credentials living a few seconds, below the
// 900 seconds STS lets rolehop ask for. A negative d issues credentials
// that have already expired; 0 turns the rewriting off.
func (r *Recorder) SetLifetime(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lifetime = d
}

// SetActionLifetime is SetLifetime for the calls with action alone, whatever
// the lifetime of the others: an MFA session (GetSessionToken) may keep
// moto's 12 hours while the roles assumed from it (AssumeRole) live seconds,
// as a real MFA session outlives many role sessions. A d of 0 leaves that
// action's Expiration alone.
func (r *Recorder) SetActionLifetime(action string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byAction == nil {
		r.byAction = map[string]time.Duration{}
	}
	r.byAction[action] = d
}

// takeFault returns the fault for a call with action, counting it as used,
// or a zero Fault. r.mu must be held.
func (r *Recorder) takeFault(action string) Fault {
	for i, f := range r.faults {
		if f.Action != "" && f.Action != action {
			continue
		}
		if f.Count == 1 {
			r.faults = append(r.faults[:i:i], r.faults[i+1:]...)
		} else {
			r.faults[i].Count--
		}
		return f
	}
	return Fault{}
}

// writeSTSError answers like STS does for a Throttle or ServerError fault.
func writeSTSError(w http.ResponseWriter, kind FaultKind) {
	status, typ, code, message := http.StatusBadRequest, "Sender", "Throttling", "Rate exceeded"
	if kind == ServerError {
		status, typ, code, message = http.StatusInternalServerError, "Receiver", "InternalFailure",
			"The request processing has failed because of an unknown error, exception or failure."
	}
	id := requestID()
	body := fmt.Sprintf(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/%s/">`+
		`<Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>`+
		`<RequestId>%s</RequestId></ErrorResponse>`, stsVersion, typ, code, message, id)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Amzn-Requestid", id)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// requestID returns a random UUID-shaped request ID, as STS sends.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// resetConnection closes the client's connection without an answer. An
// abortive close (SO_LINGER 0) sends a TCP reset, which is what clients meet
// when a load balancer drops them.
func resetConnection(w http.ResponseWriter) error {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return fmt.Errorf("hijack connection: %w", err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		if err := tc.SetLinger(0); err != nil {
			conn.Close()
			return fmt.Errorf("set linger: %w", err)
		}
	}
	if err := conn.Close(); err != nil {
		return fmt.Errorf("close connection: %w", err)
	}
	return nil
}

// stall waits for d, or while ctx lasts if d is 0. It reports whether the
// call should still be forwarded: false once ctx ended, that is when the
// client gave up or the Recorder closed.
func stall(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		<-ctx.Done()
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// lifetimeKey is the context key under which ServeHTTP hands the lifetime
// of issued credentials to the response rewriting.
type lifetimeKey struct{}

// spoilKey is the context key under which ServeHTTP hands a fault that
// spoils the answer to the response rewriting.
type spoilKey struct{}

var (
	// expirationElement matches the Expiration of issued credentials; it is
	// the only element named Expiration in STS responses.
	expirationElement = regexp.MustCompile(`<Expiration>[^<]*</Expiration>`)
	accessKeyElement  = regexp.MustCompile(`<AccessKeyId>[^<]*</AccessKeyId>`)
	secretElement     = regexp.MustCompile(`<SecretAccessKey>[^<]*</SecretAccessKey>`)
	assumedAccount    = regexp.MustCompile(`(<Arn>arn:[a-z-]+:sts::)[0-9]{12}(:assumed-role/)`)
	assumedRole       = regexp.MustCompile(`(<Arn>arn:[a-z-]+:sts::[0-9]{12}:assumed-role/)[^/<]+/`)
)

// spoilers rewrite a successful STS answer for each kind that spoils one.
var spoilers = map[FaultKind]func(body []byte) []byte{
	NoKey: func(b []byte) []byte {
		return accessKeyElement.ReplaceAllLiteral(b, []byte("<AccessKeyId></AccessKeyId>"))
	},
	NoSecret:     func(b []byte) []byte { return secretElement.ReplaceAllLiteral(b, nil) },
	NoExpiration: func(b []byte) []byte { return expirationElement.ReplaceAllLiteral(b, nil) },
	Expired:      func(b []byte) []byte { return rewriteExpiration(b, time.Now().Add(-time.Hour)) },
	OtherAccount: func(b []byte) []byte { return assumedAccount.ReplaceAll(b, []byte("${1}999999999999${2}")) },
	OtherRole:    func(b []byte) []byte { return assumedRole.ReplaceAll(b, []byte("${1}intruder/")) },
}

// rewriteAnswer rewrites a successful STS response whose request carries a
// lifetime (Credentials.Expiration) or a fault that spoils the answer.
func rewriteAnswer(resp *http.Response) error {
	if resp.Request == nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	ctx := resp.Request.Context()
	lifetime, hasLifetime := ctx.Value(lifetimeKey{}).(time.Duration)
	spoil, hasSpoil := ctx.Value(spoilKey{}).(FaultKind)
	if !hasLifetime && !hasSpoil {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("recorder: read response: %w", err)
	}
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		body, err = gunzip(body)
		if err != nil {
			return fmt.Errorf("recorder: decompress response: %w", err)
		}
		resp.Header.Del("Content-Encoding")
	}
	if hasLifetime {
		body = rewriteExpiration(body, time.Now().Add(lifetime))
	}
	if hasSpoil {
		body = spoilers[spoil](body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// rewriteExpiration sets every Expiration in body to at, in the format STS
// uses.
func rewriteExpiration(body []byte, at time.Time) []byte {
	stamp := []byte("<Expiration>" + at.UTC().Round(time.Second).Format(time.RFC3339) + "</Expiration>")
	return expirationElement.ReplaceAllLiteral(body, stamp)
}

func gunzip(body []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
