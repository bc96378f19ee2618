//go:build unix

package tokenfile

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The test binary doubles as a tok that is killed: with helperEnv set it
// creates a token file, prints its path, and waits to be killed.
const helperEnv = "TOKENFILE_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "" {
		os.Exit(m.Run())
	}
	f, err := New()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Write("helper-token"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(f.Path)
	select {} // until killed
}

// killedTokenFile starts a helper that makes a token file in tmp and kills
// it with SIGKILL, as a crash or `kill -9` would; it returns the file.
func killedTokenFile(t *testing.T, tmp string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "TMPDIR="+tmp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	path, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("helper printed no path: %v", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	return strings.TrimSpace(path)
}

func TestSweepRemovesOnlyDirectoriesOfDeadToks(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	dead := killedTokenFile(t, tmp)
	if b, err := os.ReadFile(dead); err != nil || string(b) != "helper-token" {
		t.Fatalf("the killed tok's token file: %q, %v", b, err)
	}
	alive, err := New() // this process lives on: its directory must stay
	if err != nil {
		t.Fatal(err)
	}
	defer alive.Remove()
	if err := alive.Write("alive-token"); err != nil {
		t.Fatal(err)
	}
	// Not ours to remove: no lock file (another program, an older tok),
	// a symlink to a directory, a plain file.
	noLock := filepath.Join(tmp, dirPattern+"nolock")
	if err := os.Mkdir(noLock, 0o700); err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	if err := os.WriteFile(filepath.Join(target, lockName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(tmp, dirPattern+"symlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, dirPattern+"file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	n, err := Sweep()
	if err != nil || n != 1 {
		t.Fatalf("Sweep removed %d directories (%v); want exactly the killed tok's", n, err)
	}
	if _, err := os.Stat(filepath.Dir(dead)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the killed tok's directory is still there: %v", err)
	}
	if b, err := os.ReadFile(alive.Path); err != nil || string(b) != "alive-token" {
		t.Errorf("a live tok's token file was touched: %q, %v", b, err)
	}
	for _, keep := range []string{noLock, target, filepath.Join(target, lockName), filepath.Join(tmp, dirPattern+"file")} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("Sweep removed %s, which is not a dead tok's directory: %v", keep, err)
		}
	}
	if n, err := Sweep(); n != 0 || err != nil {
		t.Errorf("second Sweep removed %d (%v); want nothing left to do", n, err)
	}
}

// A Sweep cut short (token file gone, lock file still there) is finished
// by the next one.
func TestSweepFinishesAnInterruptedSweep(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dead := killedTokenFile(t, tmp)
	if err := os.Remove(dead); err != nil {
		t.Fatal(err)
	}
	if n, err := Sweep(); n != 1 || err != nil {
		t.Fatalf("Sweep removed %d (%v); want the half-removed directory", n, err)
	}
	if _, err := os.Stat(filepath.Dir(dead)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("directory still there: %v", err)
	}
}

// TestSweepBesideARemovingTok runs a Sweep (another tok exec starting)
// while a tok removes its own directory at exit: the sweep must not
// re-create the lock file it saw a moment ago, which made the removal fail
// with "directory not empty".
func TestSweepBesideARemovingTok(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	stop := make(chan struct{})
	swept := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				swept <- nil
				return
			default:
			}
			if _, err := sweep(tmp); err != nil {
				swept <- err
				return
			}
		}
	}()
	for range 300 {
		f, err := New()
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Write("token"); err != nil {
			t.Fatal(err)
		}
		if err := f.Remove(); err != nil {
			t.Fatalf("Remove beside a sweep: %v", err)
		}
	}
	close(stop)
	if err := <-swept; err != nil {
		t.Fatalf("sweep beside a removing tok: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, dirPattern+"*")); len(left) != 0 {
		t.Errorf("directories left behind: %v", left)
	}
}
