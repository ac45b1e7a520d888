package mototest

import "syscall"

// sysProcAttr puts moto_server in its own process group, so Close can stop
// it together with its children, and has the kernel kill it if the test
// binary dies without calling Close (for example on a test timeout).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
