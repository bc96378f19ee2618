package termguard

import (
	"os"
	"os/exec"
	"testing"
)

// The guard's effect is on process start, so the test runs itself as a
// child with a chosen TERM and checks what the child saw.
func TestGuardAndRestore(t *testing.T) {
	if os.Getenv("TERMGUARD_CHILD") == "1" {
		if got := os.Getenv("TERM"); got != "dumb" {
			t.Fatalf("after init TERM = %q, want dumb", got)
		}
		Restore()
		want, set := os.LookupEnv("TERMGUARD_WANT")
		got, ok := os.LookupEnv("TERM")
		if set != ok || got != want {
			t.Fatalf("after Restore TERM = %q (set %v), want %q (set %v)", got, ok, want, set)
		}
		return
	}
	for name, env := range map[string][]string{
		"set":   {"TERM=xterm-256color", "TERMGUARD_WANT=xterm-256color"},
		"empty": {"TERM=", "TERMGUARD_WANT="},
		"unset": nil,
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestGuardAndRestore$", "-test.v")
			cmd.Env = append([]string{"TERMGUARD_CHILD=1", "PATH=" + os.Getenv("PATH")}, env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
		})
	}
}
