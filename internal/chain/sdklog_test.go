package chain

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/smithy-go/logging"
	"github.com/rolehop/rolehop/internal/plan"
)

// The AWS SDK's own lines (such as "WARN failed to discard remaining HTTP response body") go to
// rolehop's debug log, on one line, and never to stderr beside rolehop's one-line error.
func TestSDKLinesGoToTheDebugLog(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	SDKLogger(log).Logf(logging.Warn, "failed to discard remaining HTTP response body: %s\nmore", "use of closed network connection")
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, `msg="aws sdk" level=WARN`) || !strings.Contains(out, "use of closed network connection") {
		t.Errorf("debug log %q, want one line with the SDK's level and text", out)
	}

	cfg, err := newSDKConfig(&plan.Plan{}, "us-east-1", Options{Log: log, STSTimeout: 30e9, LookupEnv: func(string) (string, bool) { return "", false }}).load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Logger.(sdkLogger); !ok {
		t.Errorf("the SDK configuration logs with %T, want rolehop's debug log", cfg.Logger)
	}
}
