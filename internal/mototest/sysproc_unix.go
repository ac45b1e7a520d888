//go:build unix && !linux

package mototest

import "syscall"

// sysProcAttr puts moto_server in its own process group, so Close can stop
// it together with its children.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
