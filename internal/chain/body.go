package chain

import (
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// maxResponseBody bounds what rolehop reads of one STS answer: real ones are a few kilobytes.
const maxResponseBody = 1 << 20

// bodyTooLargeError is an STS answer cut off at maxResponseBody bytes.
type bodyTooLargeError struct{ max int64 }

func (e *bodyTooLargeError) Error() string {
	return "STS answered with more than " + formatBytes(e.max)
}

// formatBytes writes a whole number of MiB as "1 MiB", else a count of bytes.
func formatBytes(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// limitBodies wraps the SDK's HTTP client so that reading a response body past max bytes fails
// instead of holding whatever a broken or hostile endpoint sends in memory. It wraps the client
// the configuration was loaded with, after loading, because the loader itself needs the SDK's
// own client type (to add AWS_CA_BUNDLE, for one).
func limitBodies(client aws.HTTPClient, max int64) aws.HTTPClient {
	return limitedClient{client: client, max: max}
}

type limitedClient struct {
	client aws.HTTPClient
	max    int64
}

func (c limitedClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.client.Do(req)
	if resp != nil && resp.Body != nil {
		resp.Body = &limitedBody{ReadCloser: resp.Body, left: c.max, max: c.max}
	}
	return resp, err
}

// limitedBody reads at most max bytes of a body, and fails once there are more. After that
// failure it reads as empty: the SDK drains every body it is done with, and would warn on
// stderr if draining failed too.
type limitedBody struct {
	io.ReadCloser
	left, max int64
	over      bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.over {
		return 0, io.EOF
	}
	if b.left <= 0 {
		// A read past the limit tells a body of exactly max bytes from a longer one.
		var one [1]byte
		if n, err := b.ReadCloser.Read(one[:]); n == 0 {
			return 0, err
		}
		b.over = true
		return 0, &bodyTooLargeError{max: b.max}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
