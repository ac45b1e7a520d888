//go:build !linux

package cli

// undumpable does nothing: other systems have no /proc/PID/environ to hide.
func undumpable() {}
