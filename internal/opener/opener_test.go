package opener

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

const addr = "http://127.0.0.1:8400/start/ABC"

// fakes writes shell scripts into a directory: each records its arguments,
// one per line, in NAME.args and runs body.
func fakes(t *testing.T, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range scripts {
		script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"" + filepath.Join(dir, name) + ".args\"\n" + body + "\n"
		// Hold ForkLock while the script is open for writing: a parallel
		// test forking now would inherit the descriptor until its exec, and
		// running the script meanwhile fails with "text file busy".
		syscall.ForkLock.Lock()
		err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755)
		syscall.ForkLock.Unlock()
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func argsOf(t *testing.T, dir, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name+".args"))
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func env(dir, browser string) func(string) string {
	return func(k string) string {
		switch k {
		case "BROWSER":
			return browser
		case "PATH":
			return dir + ":/usr/bin:/bin"
		}
		return ""
	}
}

func TestOpenBrowserForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		browser string
		ran     string
		want    []string
	}{
		{"program alone", "good", "good", []string{addr}},
		{"program with a flag", "good --new-window", "good", []string{"--new-window", addr}},
		{"percent s placeholder", "good -P 'my profile' %s --no-remote", "good", []string{"-P", "my profile", addr, "--no-remote"}},
		{"literal percent", "good --zoom=100%% %s", "good", []string{"--zoom=100%", addr}},
		{"list: the first that works", "missing-browser:bad:good --x", "good", []string{"--x", addr}},
		{"list with an empty entry", ":good", "good", []string{addr}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := fakes(t, map[string]string{"good": "exit 0", "bad": "echo 'bad: no display' >&2; exit 3"})
			if err := (Opener{Getenv: env(dir, tt.browser)}).Open(addr); err != nil {
				t.Fatalf("Open: %v", err)
			}
			if got := argsOf(t, dir, tt.ran); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s got arguments %q, want %q", tt.ran, got, tt.want)
			}
		})
	}
}

// Issue 15: an opener that fails must not count as an opened browser.
func TestOpenReportsFailures(t *testing.T) {
	t.Parallel()
	dir := fakes(t, map[string]string{
		"bad":      "echo 'xdg-open: no method available for opening' >&2; exit 3",
		"xdg-open": "echo 'xdg-open: no method available for opening' >&2; exit 3",
	})
	tests := []struct{ name, browser, want string }{
		{"xdg-open without a display", "", "xdg-open exited with status 3: xdg-open: no method available"},
		{"a BROWSER that fails", "bad", "bad exited with status 3"},
		{"a BROWSER that does not exist", "no-such-browser", "no-such-browser: executable file not found"},
		{"every entry fails", "no-such-browser:bad", "bad exited with status 3"},
		{"unterminated quote", "good 'x", "unterminated single quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Opener{Getenv: env(dir, tt.browser), GOOS: "linux"}.Open(addr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open error = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestOpenCountsARunningBrowserAsOpened(t *testing.T) {
	t.Parallel()
	dir := fakes(t, map[string]string{"slow": "sleep 2"})
	start := time.Now()
	if err := (Opener{Getenv: env(dir, "slow"), Grace: 200 * time.Millisecond}).Open(addr); err != nil {
		t.Fatalf("Open: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Open waited %s for a browser that keeps running, want about the grace period", took)
	}
}

func TestOpenRefusesNonWebAddresses(t *testing.T) {
	t.Parallel()
	dir := fakes(t, map[string]string{"good": "exit 0"})
	for _, bad := range []string{"--renderer-cmd-prefix=/tmp/x", "file:///etc/passwd", "javascript:alert(1)"} {
		if err := (Opener{Getenv: env(dir, "good")}).Open(bad); err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		}
		if got := argsOf(t, dir, "good"); got != nil {
			t.Errorf("Open(%q) ran the browser with %q", bad, got)
		}
	}
}

func TestCommand(t *testing.T) {
	t.Parallel()
	got, err := Command(`"/opt/My Browser/run" --flag=\"x\" a\ b`, addr)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/opt/My Browser/run", `--flag="x"`, "a b", addr}; !reflect.DeepEqual(got, want) {
		t.Errorf("Command = %q, want %q", got, want)
	}
	if _, err := Command(`x "y`, addr); err == nil {
		t.Error("an unterminated double quote was accepted")
	}
}
