//go:build unix

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExec runs children under tok exec with the token from the OS
// keyring: environment, streams, exit codes, and nesting.
func TestExec(t *testing.T) {
	t.Parallel()
	env := KeyringEnv(t)
	secret := NewSecret(t)
	addStatic(t, env, "gh", secret, "--env", "GH_TOKEN")
	addStatic(t, env, "other", "other-token")

	t.Run("environment", func(t *testing.T) {
		// A stale TOK_TOKEN inherited from the caller must be replaced.
		r := Run(t, env.With("TOK_TOKEN=stale", "KEEP_ME=kept"), "", "exec", "-p", "gh", "--env", "VAULT_TOKEN", "--",
			"sh", "-c", `printf '%s\n' "$TOK_TOKEN" "$GH_TOKEN" "$VAULT_TOKEN" "$TOK_EXEC" "$KEEP_ME"`)
		WantCode(t, r, 0)
		want := strings.Join([]string{secret, secret, secret, "gh", "kept"}, "\n") + "\n"
		if r.Stdout != want {
			t.Errorf("child saw TOK_TOKEN, GH_TOKEN, VAULT_TOKEN, TOK_EXEC, KEEP_ME =\n%q\nwant\n%q", r.Stdout, want)
		}
	})

	t.Run("streams", func(t *testing.T) {
		r := Run(t, env, "from stdin\n", "exec", "-p", "gh", "--", "sh", "-c", "cat; echo to-stderr >&2")
		WantCode(t, r, 0)
		if r.Stdout != "from stdin\n" {
			t.Errorf("child stdout = %q, want its stdin echoed", r.Stdout)
		}
		WantStderr(t, r, "to-stderr")
	})

	t.Run("arguments reach the child unchanged", func(t *testing.T) {
		r := Run(t, env, "", "exec", "-p", "gh", "--", "sh", "-c", `printf '[%s]' "$@"`, "sh", "-p", "--env", "a b")
		WantCode(t, r, 0)
		if r.Stdout != "[-p][--env][a b]" {
			t.Errorf("child got arguments %q", r.Stdout)
		}
	})

	for _, code := range []int{0, 1, 3, 42, 255} {
		t.Run(fmt.Sprintf("exit code %d", code), func(t *testing.T) {
			r := Run(t, env, "", "exec", "-p", "gh", "--", "sh", "-c", fmt.Sprintf("exit %d", code))
			WantCode(t, r, code)
			if r.Stderr != "" {
				t.Errorf("tok added to the child's stderr: %s", r)
			}
		})
	}

	t.Run("command not found", func(t *testing.T) {
		r := Run(t, env, "", "exec", "-p", "gh", "--", "tok-e2e-no-such-command")
		WantCode(t, r, 127)
		WantStderr(t, r, "tok: command not found: tok-e2e-no-such-command is not in PATH")
	})

	// The shell's convention: found but not runnable is 126.
	t.Run("command not executable", func(t *testing.T) {
		dir := t.TempDir()
		script := filepath.Join(dir, "script.sh")
		if err := os.WriteFile(script, []byte("#!/bin/sh\necho ran\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{script, dir} {
			r := Run(t, env, "", "exec", "-p", "gh", "--", target)
			WantCode(t, r, 126)
			WantStderr(t, r, "tok: "+target)
			if strings.Contains(r.Stdout, "ran") || strings.Contains(r.Stderr, "exec:") {
				t.Errorf("exec of %s: %s", target, r)
			}
		}
	})

	t.Run("nested exec of the same profile is refused", func(t *testing.T) {
		r := Run(t, env, "", "exec", "-p", "gh", "--", "tok", "exec", "-p", "gh", "--", "sh", "-c", "echo inner ran")
		WantCode(t, r, 1)
		WantStderr(t, r, "TOK_EXEC", `"gh"`)
		if strings.Contains(r.Stdout, "inner ran") {
			t.Errorf("the nested exec ran its child: %s", r)
		}
	})

	t.Run("nested exec of another profile runs", func(t *testing.T) {
		r := Run(t, env, "", "exec", "-p", "gh", "--", "tok", "exec", "-p", "other", "--", "sh", "-c", `printf '%s %s' "$TOK_EXEC" "$TOK_TOKEN"`)
		WantCode(t, r, 0)
		if r.Stdout != "other other-token" {
			t.Errorf("inner child saw %q", r.Stdout)
		}
	})

	t.Run("bad --env name", func(t *testing.T) {
		r := Run(t, env, "", "exec", "-p", "gh", "--env", "NOT A NAME", "--", "true")
		WantCode(t, r, 2)
		WantStderr(t, r, "NOT A NAME")
	})
}

// signalChild is a child for tok exec that reports a signal it receives
// by writing $E2E_MARK, then dies of that very signal, so tok has to turn
// "killed by signal N" into exit 128+N. It writes its pid to $E2E_READY
// once the trap is in place.
const signalChild = `
sig=$1
trap 'kill "$sleeper" 2>/dev/null; echo "$sig" > "$E2E_MARK"; trap - "$sig"; kill -s "$sig" $$' "$sig"
sleep 30 >/dev/null 2>&1 &
sleeper=$!
echo $$ > "$E2E_READY.tmp" && mv "$E2E_READY.tmp" "$E2E_READY"
wait "$sleeper"
echo "the signal never came" >&2
exit 99
`

// TestExecForwardsSignals sends a signal to tok (not to the child) and
// checks that the child got it and that tok exits 128+N.
func TestExecForwardsSignals(t *testing.T) {
	t.Parallel()
	env := FileKeyEnv(t)
	addStatic(t, env, "sig", "sig-token")

	for _, tc := range []struct {
		sig  syscall.Signal
		name string
	}{
		{syscall.SIGTERM, "TERM"},
		{syscall.SIGINT, "INT"},
		{syscall.SIGHUP, "HUP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			mark, ready := filepath.Join(dir, "mark"), filepath.Join(dir, "ready")
			p := Start(t, env.With("E2E_MARK="+mark, "E2E_READY="+ready), "", "exec", "-p", "sig", "--", "sh", "-c", signalChild, "child", tc.name)
			childPid := strings.TrimSpace(WaitForFile(t, ready))
			if childPid == strconv.Itoa(p.Pid()) {
				t.Fatalf("tok and its child share pid %s", childPid)
			}
			p.Signal(t, tc.sig)
			r := p.Wait(t)
			if r.Signal != 0 {
				t.Fatalf("tok itself died of %s instead of forwarding it: %s", r.Signal, r)
			}
			WantCode(t, r, 128+int(tc.sig))
			got, err := os.ReadFile(mark)
			if err != nil || strings.TrimSpace(string(got)) != tc.name {
				t.Errorf("the child did not report SIG%s (mark file: %q, %v): %s", tc.name, got, err, r)
			}
		})
	}
}

// TestTokenNeverOnArgv scans every process's command line while tok exec
// runs a child with the token, and finds the token in none of them.
func TestTokenNeverOnArgv(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc on this system")
	}
	env := FileKeyEnv(t)
	secret := NewSecret(t)
	addStatic(t, env, "argv", secret, "--env", "ARGV_TOKEN")

	ready := filepath.Join(t.TempDir(), "ready")
	p := Start(t, env.With("E2E_READY="+ready), "", "exec", "-p", "argv", "--", "sh", "-c",
		`echo $$ > "$E2E_READY.tmp" && mv "$E2E_READY.tmp" "$E2E_READY"; exec sleep 30`)
	childPid := strings.TrimSpace(WaitForFile(t, ready))

	// The scan means something only if the processes holding the token are
	// alive and visible: tok's command line and the child's environment.
	tokArgv, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.Pid()))
	if err != nil || !bytes.Contains(tokArgv, []byte("exec\x00-p\x00argv")) {
		t.Fatalf("cannot read tok's command line (%q, %v)", tokArgv, err)
	}
	// The child reported its pid just before exec'ing sleep; its environment
	// may read empty while the exec is under way.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		childEnv, err := os.ReadFile("/proc/" + childPid + "/environ")
		if err == nil && bytes.Contains(childEnv, []byte("ARGV_TOKEN="+secret)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child does not hold the token in its environment (%v)", err)
		}
	}

	scanned := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, path := range procs {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended while we looked
		}
		scanned++
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("the token is on the command line of %s: %q", path, bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
		}
	}
	if scanned < 3 {
		t.Fatalf("scanned only %d command lines", scanned)
	}

	// tok exec does not hold the database while its child runs: another
	// tok can write at once.
	r := Run(t, env.With("TOK_DB_TIMEOUT=300ms"), "", "profile", "add", "while-exec", "--type", "static")
	WantCode(t, r, 0)

	p.Signal(t, syscall.SIGTERM)
	WantCode(t, p.Wait(t), 128+int(syscall.SIGTERM))
}
