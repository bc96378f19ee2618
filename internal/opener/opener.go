// Package opener opens an address in the person's web browser and tells
// truthfully whether that worked.
//
// The program is $BROWSER when set, in the forms xdg-utils, Debian's
// sensible-browser and Python's webbrowser module accept: a program with
// arguments ("chromium --new-window"), "%s" standing for the address
// ("firefox -P work %s"; "%%" is a literal percent sign), and a list of
// such commands separated by colons, tried in order until one works.
// Without $BROWSER it is the platform's opener: xdg-open, open (macOS) or
// the URL handler of Windows.
//
// An opener that cannot start, or that exits with a non-zero status
// within Grace (xdg-open without a display exits 3 at once), failed. One
// that exits 0, or is still running after Grace (a browser started
// directly runs until it is closed), opened the address.
package opener

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// DefaultGrace is how long Open waits for an opener's exit status.
const DefaultGrace = time.Second

// Opener opens addresses in a browser.
type Opener struct {
	// Getenv reads BROWSER and PATH; nil means os.Getenv.
	Getenv func(string) string
	// GOOS picks the platform opener; "" means runtime.GOOS.
	GOOS string
	// Grace is how long to wait for the opener's exit status; zero means
	// DefaultGrace.
	Grace time.Duration
}

// Open opens address, which must be an http or https URL: it is passed as
// one argument, and starting with a scheme it cannot be read as an option.
// The error says why no browser opened, command by command.
func (o Opener) Open(address string) error {
	if !strings.HasPrefix(address, "http://") && !strings.HasPrefix(address, "https://") {
		return fmt.Errorf("refusing to open %q: only http and https addresses are opened", address)
	}
	cmds, err := o.commands(address)
	if err != nil {
		return err
	}
	var errs []error
	for _, argv := range cmds {
		err := o.run(argv)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// commands lists the command lines to try, in order.
func (o Opener) commands(address string) ([][]string, error) {
	if browser := o.getenv("BROWSER"); strings.TrimSpace(browser) != "" {
		var cmds [][]string
		for _, entry := range strings.Split(browser, string(os.PathListSeparator)) {
			if strings.TrimSpace(entry) == "" {
				continue
			}
			argv, err := Command(entry, address)
			if err != nil {
				return nil, fmt.Errorf("BROWSER: %w", err)
			}
			cmds = append(cmds, argv)
		}
		if len(cmds) > 0 {
			return cmds, nil
		}
	}
	switch o.goos() {
	case "darwin":
		return [][]string{{"open", address}}, nil
	case "windows":
		return [][]string{{"rundll32", "url.dll,FileProtocolHandler", address}}, nil
	}
	return [][]string{{"xdg-open", address}}, nil
}

// Command turns one $BROWSER entry into a command line for address: the
// entry is split into words as a shell would (quotes and backslashes
// respected, nothing expanded); every %s becomes address (and %% a
// percent sign), or, without %s, address is added as the last argument.
func Command(entry, address string) ([]string, error) {
	words, err := splitWords(entry)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, errors.New("an empty command")
	}
	substituted := false
	for i, w := range words {
		if !strings.Contains(w, "%") {
			continue
		}
		var b strings.Builder
		for j := 0; j < len(w); j++ {
			if w[j] == '%' && j+1 < len(w) {
				switch w[j+1] {
				case 's':
					b.WriteString(address)
					substituted = true
					j++
					continue
				case '%':
					b.WriteByte('%')
					j++
					continue
				}
			}
			b.WriteByte(w[j])
		}
		words[i] = b.String()
	}
	if !substituted {
		words = append(words, address)
	}
	return words, nil
}

// splitWords splits s into words like a POSIX shell without expansions:
// blanks separate, single quotes keep everything, double quotes keep all
// but \" and \\, a backslash outside quotes keeps the next character.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("%q has an unterminated single quote", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("%q has an unterminated double quote", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// run starts argv and waits up to Grace for its exit status.
func (o Opener) run(argv []string) error {
	path, err := o.lookPath(argv[0])
	if err != nil {
		return fmt.Errorf("%s: %w", argv[0], err)
	}
	cmd := exec.Command(path, argv[1:]...)
	// The opener gets no stdin (it must never read tok's input) and its
	// output is kept only to explain a failure.
	var stderr limitedBuffer
	cmd.Stdout, cmd.Stderr = nil, &stderr
	// A browser that forks keeps stderr open; do not wait for it.
	cmd.WaitDelay = 100 * time.Millisecond
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s could not start: %w", argv[0], err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	timer := time.NewTimer(o.grace())
	defer timer.Stop()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ee) && ee.Exited():
			return fmt.Errorf("%s exited with status %d%s", argv[0], ee.ExitCode(), stderr.lastLine())
		case errors.Is(err, exec.ErrWaitDelay):
			return nil // exited 0; a child it started holds stderr
		default:
			return fmt.Errorf("%s failed: %w%s", argv[0], err, stderr.lastLine())
		}
	case <-timer.C:
		// Still running: a browser started directly. It is reaped by the
		// goroutine above when it exits.
		return nil
	}
}

// lookPath finds name in the PATH that Getenv gives, so that a caller
// (and a test) decides where openers come from.
func (o Opener) lookPath(name string) (string, error) {
	if strings.ContainsRune(name, filepath.Separator) || o.goos() == "windows" || o.Getenv == nil {
		return exec.LookPath(name)
	}
	for _, dir := range filepath.SplitList(o.getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

func (o Opener) getenv(k string) string {
	if o.Getenv == nil {
		return os.Getenv(k)
	}
	return o.Getenv(k)
}

func (o Opener) goos() string {
	if o.GOOS == "" {
		return runtime.GOOS
	}
	return o.GOOS
}

func (o Opener) grace() time.Duration {
	if o.Grace <= 0 {
		return DefaultGrace
	}
	return o.Grace
}

// limitedBuffer keeps the first 4 KiB written to it.
type limitedBuffer struct{ buf bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := 4096 - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// lastLine is ": " and the last non-empty line written, or "".
func (b *limitedBuffer) lastLine() string {
	lines := strings.Split(strings.TrimSpace(b.buf.String()), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		return ": " + last
	}
	return ""
}
