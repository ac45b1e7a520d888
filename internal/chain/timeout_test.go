package chain

import (
	"net"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/plan"
)

// refusingAddress returns a loopback address where nothing listens, so that every connection
// to it is refused: a listener is opened to get a free port, then closed.
func refusingAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// TestTimeoutReportsTheLastRealError gives the retryer more attempts than --sts-timeout leaves
// time for, against an STS that refuses every connection: the call ends at the timeout, and
// the error must say what the attempts got (the refusal), not that nothing answered.
func TestTimeoutReportsTheLastRealError(t *testing.T) {
	addr := refusingAddress(t)
	awsEnv(t, "http://"+addr, "AKIABASEKEYEXAMPLE01", "base-secret")
	// The backoff between 50 attempts always outlasts the timeout.
	t.Setenv("AWS_MAX_ATTEMPTS", "50")
	p := plan.Plan{Hops: []plan.Hop{mustHop(t, "arn:aws:iam::111111111111:role/deploy")}}
	ch, err := New(t.Context(), &p, Options{STSTimeout: 700 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ch.Retrieve(t.Context())
	want := "hop 1 (arn:aws:iam::111111111111:role/deploy): AssumeRole: no credentials from STS within 700ms, retries included (--sts-timeout); " +
		"last error: cannot reach STS at http://" + addr + ": connection refused; check the network, --region and AWS_ENDPOINT_URL_STS"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
}
