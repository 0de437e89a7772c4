// The pod sandbox's first process for the one-node cluster of `npm run test:kube`: what the pause
// image of Kubernetes does (hold the pod's namespaces open, reap orphans, exit on SIGINT/SIGTERM),
// written here because no image registry can be reached from these machines and Kubernetes' own
// pause is a C program its build makes inside a container.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		// With a shared process namespace this is PID 1: every orphan of the pod is ours to reap.
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
