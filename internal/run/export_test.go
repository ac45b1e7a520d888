package run

// Ready returns a channel closed once s catches every signal.
func (s *Signals) Ready() <-chan struct{} { return s.ready }
