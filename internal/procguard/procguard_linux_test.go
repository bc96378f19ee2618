package procguard

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestMain doubles as the helper of TestRefuseSetuid: with
// PROCGUARD_SETUID_HELPER=1 the test binary drops only its effective uid
// and reports what RefuseSetuid says.
func TestMain(m *testing.M) {
	if os.Getenv("PROCGUARD_SETUID_HELPER") == "1" {
		if err := syscall.Setresuid(0, 65534, 0); err != nil {
			fmt.Println("setresuid:", err)
			os.Exit(3)
		}
		if err := RefuseSetuid(); errors.Is(err, ErrSetuid) {
			fmt.Println("refused")
			os.Exit(0)
		}
		fmt.Println("not refused")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// TestRefuseSetuid: a normal process passes; one whose effective user or
// group differs from its real one (what a setuid or setgid install gives)
// is refused. Only root can start a process with two user IDs, so as
// another user the test checks the decision alone.
func TestRefuseSetuid(t *testing.T) {
	if err := RefuseSetuid(); err != nil {
		t.Fatalf("RefuseSetuid in a normal process = %v", err)
	}
	for _, ids := range [][4]int{{1000, 0, 1000, 1000}, {0, 1000, 0, 0}, {1000, 1000, 1000, 0}} {
		if err := refuseIDs(ids[0], ids[1], ids[2], ids[3]); !errors.Is(err, ErrSetuid) {
			t.Errorf("uid, euid, gid, egid = %v: %v, want ErrSetuid", ids, err)
		}
	}
	if err := refuseIDs(1000, 1000, 100, 100); err != nil {
		t.Errorf("equal IDs refused: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Log("not root: the real-process half of this test needs root")
		return
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PROCGUARD_SETUID_HELPER=1")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "refused" {
		t.Fatalf("helper with uid 0 and euid 65534: %v, %q; want refused", err, out)
	}
}
