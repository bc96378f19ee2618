// Package tokhome finds tok's data directory, the same way in both tok
// binaries.
package tokhome

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Dir resolves tok's directory: flag (--home) > TOK_HOME >
// %LOCALAPPDATA%\tok on Windows > $XDG_DATA_HOME/tok > ~/.local/share/tok.
func Dir(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		return filepath.Abs(flag)
	}
	if v := getenv("TOK_HOME"); v != "" {
		return filepath.Abs(v)
	}
	if runtime.GOOS == "windows" {
		if v := getenv("LOCALAPPDATA"); v != "" {
			return filepath.Join(v, "tok"), nil
		}
	}
	if v := getenv("XDG_DATA_HOME"); v != "" && filepath.IsAbs(v) {
		return filepath.Join(v, "tok"), nil
	}
	h := getenv("HOME")
	if h == "" {
		var err error
		if h, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("could not find a home directory for tok's data; set TOK_HOME: %w", err)
		}
	}
	return filepath.Join(h, ".local", "share", "tok"), nil
}
