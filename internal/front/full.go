package front

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/execrun"
	"github.com/tok-cli/tok/internal/output"
	"github.com/tok-cli/tok/internal/record"
)

// FullName is the name of the complete tok binary, installed next to tok.
const FullName = "tok-full"

// FullBinary finds tok-full: next to this binary (after resolving
// symlinks, as package managers link bin/tok into their own tree), else on
// PATH.
func FullBinary() (string, error) {
	name := FullName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	self, err := os.Executable()
	if err == nil {
		if resolved, err := filepath.EvalSymlinks(self); err == nil {
			self = resolved
		}
		if path, ok := Sibling(self, name); ok {
			return path, nil
		}
	}
	if path, err := exec.LookPath(name); err == nil {
		return path, nil
	}
	return "", fmt.Errorf("this command needs %s, the complete tok, which is neither next to %s nor on PATH; "+
		"install both binaries of the release archive, or run: go install github.com/tok-cli/tok/cmd/tok@latest github.com/tok-cli/tok/cmd/tok-full@latest",
		FullName, self)
}

// Sibling is the program name in the directory of the program at self,
// if there is a regular file of that name.
func Sibling(self, name string) (string, bool) {
	candidate := filepath.Join(filepath.Dir(self), name)
	if info, err := os.Stat(candidate); err == nil && info.Mode().IsRegular() {
		return candidate, true
	}
	return "", false
}

// handOffToFull is the process's deps.handOff: with stdin nil it runs
// tok-full with args in place of this process (see handoff_*.go) and
// returns an exit code only if that fails; otherwise it runs tok-full as
// a child reading stdin (runFullWithInput).
func handOffToFull(args []string, stdin io.Reader) int {
	if stdin != nil {
		return runFullWithInput(args, stdin)
	}
	path, err := FullBinary()
	if err != nil {
		fmt.Fprintf(os.Stderr, "tok: %v\n", err)
		return 1
	}
	return execFull(path, args)
}

// fetchWithFull fetches the tokens of a running `tok exec` child: from the
// cache while it is valid, else by asking tok-full for one, which
// refreshes it under the profile's refresh lock, so a refresh by any other
// process is shared. tok-full runs with no terminal, so it never prompts;
// its stderr becomes the warning or error of the refresher.
func fetchWithFull(d deps, reader *record.Reader, first record.Credential, home string) execrun.Fetch {
	profile := first.Profile
	return func(ctx context.Context) (record.Credential, string, error) {
		res, err := reader.Lookup(ctx, profile, record.Options{})
		if err == nil && res.Served {
			return res.Credential, "", nil
		}
		args := []string{"token", "-p", profile, "-o", "json"}
		if home != "" {
			args = append(args, "--home", home)
		}
		stdout, warning, err := d.fullOutput(ctx, args)
		if err != nil {
			return record.Credential{}, "", err
		}
		var out output.JSONCredential
		if err := json.Unmarshal(stdout, &out); err != nil || out.Token == "" {
			return record.Credential{}, "", fmt.Errorf("%s token -o json gave no token", FullName)
		}
		// The cache now holds what tok-full handed out, with the time it
		// was obtained, from which Lookup derives the token's margin.
		if res, err := reader.Lookup(ctx, profile, record.Options{}); err == nil && res.Served && res.Credential.Token == out.Token {
			return res.Credential, warning, nil
		}
		cred := first // profile name, env names and margin
		cred.Token, cred.TokenType, cred.Expiry = out.Token, out.TokenType, time.Time{}
		if out.ExpiresAt != nil {
			cred.Expiry = *out.ExpiresAt
		}
		return cred, warning, nil
	}
}

// fullOutput is the process's deps.fullOutput: it runs tok-full with args
// as a child without a terminal (so it never prompts) and returns its
// stdout and the last line of its stderr (a warning); when tok-full
// fails, the error is that last line, or says tok-full failed when it
// said nothing.
func fullOutput(ctx context.Context, args []string) (stdout []byte, warning string, err error) {
	path, err := FullBinary()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	runErr := cmd.Run()
	message := strings.TrimSpace(stderr.String())
	if runErr != nil {
		if message == "" {
			return nil, "", fmt.Errorf("%s failed: %w", FullName, runErr)
		}
		return nil, "", errors.New(lastLine(strings.TrimPrefix(message, "tok: ")))
	}
	return out.Bytes(), lastLine(message), nil
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
