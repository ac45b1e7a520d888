package chain

import (
	"fmt"
	"log/slog"

	"github.com/aws/smithy-go/logging"
	"github.com/rolehop/rolehop/internal/display"
)

// SDKLogger returns a logger for the AWS SDK that writes its lines to log at debug level, one
// line each, instead of the SDK's default of stderr: the SDK's warnings (a response body it could
// not drain, a checksum it could not check) are raw library text, which a user must not get in
// place of, or beside, rolehop's one-line error. They hold no credentials.
func SDKLogger(log *slog.Logger) logging.Logger {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return sdkLogger{log: log}
}

type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Logf(class logging.Classification, format string, v ...any) {
	l.log.Debug("aws sdk", "level", string(class), "text", display.OneLine(fmt.Sprintf(format, v...)))
}
