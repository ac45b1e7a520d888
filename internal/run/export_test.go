package run

import "syscall"

// Ready returns a channel closed once s catches every signal.
func (s *Signals) Ready() <-chan struct{} { return s.ready }

// Raise sends sig to rolehop as actUncaught does: on Linux to the calling thread, so that the
// signal has been handled (it killed the process or was caught) by the time Raise returns.
func Raise(sig syscall.Signal) { raise(sig) }
