package front

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/gitcred"
	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/store"
)

// Credential helper names: git runs git-credential-tok for
// `credential.helper tok`, docker runs docker-credential-tok for
// `credsStore: tok`. Each is tok's command of the same name.
const (
	GitHelperName    = "git-credential-tok"
	DockerHelperName = "docker-credential-tok"
)

// helperArgs turns the command line of a program run as a credential
// helper (by its own binary or a link to tok) into tok's:
// `git-credential-tok get` is `tok git-credential get`.
func helperArgs(argv0 string, args []string) []string {
	name := strings.TrimSuffix(filepath.Base(argv0), ".exe")
	switch name {
	case GitHelperName:
		return append([]string{"git-credential"}, args...)
	case DockerHelperName:
		return append([]string{"docker-credential"}, args...)
	}
	return args
}

// IsGitGet reports whether args are `git-credential get`, which git runs
// before every authenticated request: the front answers it from the cache.
// Exported for internal/cli's test that cobra reads these args alike.
func IsGitGet(args []string) bool {
	return len(args) == 2 && args[0] == "git-credential" && args[1] == "get"
}

// gitGet answers git's `get` from the cache when the matching profile
// holds a token it can hand out as it is, and hands over to tok-full
// (with the request it read) otherwise.
func gitGet(d deps, args []string) int {
	raw, err := gitcred.ReadRaw(d.stdin)
	if err == nil && !plan.Debug(false, d.getenv) {
		if code, served := serveGitGet(d, raw); served {
			return code
		}
	}
	return d.handOff(args, bytes.NewReader(raw))
}

func serveGitGet(d deps, raw []byte) (code int, served bool) {
	req, err := gitcred.ParseBytes(raw)
	if err != nil {
		return 0, false
	}
	if req.Host == "" || (req.Protocol != "https" && req.Protocol != "http") {
		return 0, true // nothing tok answers; tok-full would say nothing either
	}
	reader, err := newReader(d, "")
	if err != nil {
		return 0, false
	}
	ctx := context.Background()
	m, ok, res, err := reader.LookupRemote(ctx, record.Query{Git: ptr(record.GitRemote(req))}, record.Options{})
	switch {
	case errors.Is(err, store.ErrNoDatabase):
		return 0, true // no profiles yet, so none serves this remote
	case err != nil:
		return 0, false
	case !ok:
		return 0, true // no profile serves this remote: git asks the next helper
	case !res.Served:
		return 0, false
	}
	return written(d, gitcred.Encode(d.stdout, record.GitResponse(req, m, res.Credential))), true
}

func ptr[T any](v T) *T { return &v }

// runFullWithInput runs tok-full with args as a child whose stdin is
// input, the request the front already read, and returns its exit code.
// A child rather than exec: the bytes read from git's pipe cannot be put
// back, and a pipe of our own could block before the exec on systems
// with small pipe buffers. This path refreshes or logs in anyway, so the
// extra process does not matter.
func runFullWithInput(args []string, input io.Reader) int {
	path, err := FullBinary()
	if err != nil {
		fmt.Fprintf(os.Stderr, "tok: %v\n", err)
		return 1
	}
	return runFullChild(path, args, input)
}

// runFullChild runs tok-full at path with args as a child on this
// process's stdout and stderr and the given stdin, and returns its exit
// code. A Ctrl-C at the terminal reaches the child (same process group or
// console); the front ignores it, waits and reports the child's status.
func runFullChild(path string, args []string, stdin io.Reader) int {
	signal.Ignore(os.Interrupt)
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, os.Stdout, os.Stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tok: could not run %s: %v\n", path, err)
		return 1
	}
	return 0
}
