package credserver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// memListener is a net.Listener whose connections are in-memory pipes. A server inside a
// synctest bubble must not wait on a real socket: a goroutine blocked on network I/O can be
// woken from outside the bubble, so the bubble's clock would never move.
type memListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

// newMemListener must be called inside the bubble whose goroutines use it.
func newMemListener() *memListener {
	return &memListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// Addr is where the server believes it listens; its URL and the Host it accepts follow from it.
func (l *memListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 49152}
}

// dial connects to the listener whatever the address, as long as it is open.
func (l *memListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
	case <-ctx.Done():
	}
	server.Close()
	client.Close()
	return nil, errors.New("connection refused: the in-memory listener is closed")
}

// client is an HTTP client whose connections go to l, closing its idle ones at the end of
// the test.
func (l *memListener) client(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{DialContext: l.dial, MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// startInMemory starts a server with o on an in-memory network and returns it with a client
// of that network, for tests inside a synctest bubble. The server is closed at the end of the
// test.
func startInMemory(t *testing.T, o Options) (*Server, *http.Client) {
	t.Helper()
	ln := newMemListener()
	s, err := startOn(t.Context(), o, func() (net.Listener, error) { return ln, nil })
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, ln.client(t)
}
