// Package chromium runs a real headless Chromium for tests, driven
// with chromedp: the Debian chromium package, never a downloaded build.
//
// New starts one browser with a fresh profile per test and returns a
// context for chromedp.Run. Without a Chromium the test is skipped, or
// fails under CI=true, where .ci/setup installs it.
package chromium

import (
	"context"
	"github.com/tok-cli/tok/internal/testkit/need"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Names under which distributions install Chromium, in the order tried;
// TOK_TEST_CHROMIUM overrides them with a path.
var executables = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"}

// Path returns the Chromium executable, or "" when there is none.
func Path() string {
	if p := os.Getenv("TOK_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range executables {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Flags are the switches every test browser starts with: headless,
// without a sandbox (tests run as root in CI), and quiet: no first-run
// pages, no update or sync traffic, no QUIC.
var Flags = []string{
	"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync",
	"disable-default-apps", "no-default-browser-check", "mute-audio",
}

// New starts a headless Chromium with a fresh user data directory and
// returns a context for chromedp.Run, bound to timeout. The browser is
// closed when the test ends.
func New(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path := Path()
	if path == "" {
		need.Missing(t, "chromium is not installed; run: .ci/setup (it installs the Debian package chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium")),
		chromedp.WindowSize(900, 700),
	}
	for _, f := range Flags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	// Start the browser now, so a broken installation fails here with a
	// clear message rather than in the middle of a test.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("could not start %s: %v", path, err)
	}
	return browserCtx
}

// Screenshot saves a PNG of the current page under dir (the test's
// artifacts) and returns its path. TOK_TEST_SCREENSHOTS, when set, names
// a directory to keep them in after the test.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("TOK_TEST_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
