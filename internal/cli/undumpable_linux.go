package cli

import "golang.org/x/sys/unix"

// undumpable keeps the user's other processes, the commands rolehop runs among them, out of
// rolehop's memory and /proc entries, as ssh-agent does. /proc/PID/environ would show them
// ROLEHOP_KEYRING_PASSPHRASE, which rolehop removes from their own environment, and with it
// they could decrypt every cached credential; rolehop's memory and core dumps hold the
// credentials it fetched.
func undumpable() {
	// prctl fails only for an invalid argument.
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
