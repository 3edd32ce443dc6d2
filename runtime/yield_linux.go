package runtime

import "syscall"

// osYield gives the CPU to another runnable thread, if any (sched_yield).
// A thread spinning on a core it shares with the thread it waits for —
// the machine is oversubscribed — would otherwise hold the core for its
// whole spin. Returns at once when nothing else is runnable.
func osYield() {
	syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
}
