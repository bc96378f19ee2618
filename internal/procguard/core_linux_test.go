package procguard

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// coreSoftLimit reads the soft core-file limit of pid from /proc, as an
// outsider sees it.
func coreSoftLimit(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/limits")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Max core file size") {
			return strings.Fields(strings.TrimPrefix(line, "Max core file size"))[0]
		}
	}
	t.Fatalf("no core limit in /proc/%d/limits:\n%s", pid, b)
	return ""
}

// TestHarden: after Harden the process is not dumpable and may not write
// a core file; a child started with Starting gets the old limit (without
// it, it would inherit 0), and Restore gives it back to the process.
func TestHarden(t *testing.T) {
	var orig unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &orig); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Setrlimit(unix.RLIMIT_CORE, &orig) })
	const before = 4096 * 1024
	if orig.Max < before {
		t.Fatalf("the hard core limit %d is below %d; this test needs room to set one", orig.Max, before)
	}
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: before, Max: orig.Max}); err != nil {
		t.Fatal(err)
	}

	core, err := Harden()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Prctl(unix.PR_SET_DUMPABLE, 1, 0, 0, 0) })
	if d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); err != nil || d != 0 {
		t.Errorf("PR_GET_DUMPABLE = %d, %v; want 0", d, err)
	}
	if got := coreSoftLimit(t, os.Getpid()); got != "0" {
		t.Errorf("core limit after Harden = %s, want 0", got)
	}

	start := func() *exec.Cmd {
		c := exec.Command("sleep", "30")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
		return c
	}
	plain := start()
	if got := coreSoftLimit(t, plain.Process.Pid); got != "0" {
		t.Errorf("a child inherits core limit %s, want 0 (else Starting is not needed)", got)
	}
	var given *exec.Cmd
	if err := core.Starting(func() error { given = start(); return nil }); err != nil {
		t.Fatal(err)
	}
	if got := coreSoftLimit(t, given.Process.Pid); got != strconv.Itoa(before) {
		t.Errorf("core limit of a child started with Starting = %s, want %d", got, before)
	}
	if got := coreSoftLimit(t, os.Getpid()); got != "0" {
		t.Errorf("core limit after Starting = %s, want 0 again", got)
	}
	if err := core.Restore(); err != nil {
		t.Fatal(err)
	}
	if got := coreSoftLimit(t, os.Getpid()); got != strconv.Itoa(before) {
		t.Errorf("core limit after Restore = %s, want %d", got, before)
	}
}
