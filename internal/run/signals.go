package run

import (
	"os"
	"os/signal"
)

// Signals catches the signals Command passes on to the child. Catch starts catching them in
// the background: each is a round trip to the Go runtime's signal thread, and started early
// they overlap whatever rolehop does before the child starts.
//
// Until Command starts the child, a signal caught does what it would have done uncaught:
// SIGINT, SIGTERM and SIGHUP stop rolehop, SIGQUIT stops it with a stack dump, SIGUSR1 and
// SIGUSR2 do nothing. So catch early only where nothing else in rolehop handles a signal
// before the child starts: proc.CancelOnSignal does while a program runs (an auth provider,
// an MFA code command), to stop it and say why.
type Signals struct {
	caught chan os.Signal
	ready  chan struct{} // closed once every signal is caught
	taken  chan struct{} // Command reads caught from then on
}

// Catch starts catching the signals Command passes on. A signal rolehop started with ignored
// (nohup, a background job of a script) is left ignored: catching it would also make the child
// stop ignoring it.
func Catch() *Signals {
	s := &Signals{caught: make(chan os.Signal, 16), ready: make(chan struct{}), taken: make(chan struct{})}
	go s.watch()
	return s
}

func (s *Signals) watch() {
	for _, sig := range catchable() {
		if !signal.Ignored(sig) {
			signal.Notify(s.caught, sig)
		}
	}
	close(s.ready)
	for {
		select {
		case sig := <-s.caught:
			actUncaught(sig)
		case <-s.taken:
			return
		}
	}
}

// take waits until every signal is caught and stops the watch: the signals are the caller's
// from then on. It is called once, by Command.
func (s *Signals) take() <-chan os.Signal {
	<-s.ready
	s.taken <- struct{}{}
	return s.caught
}
