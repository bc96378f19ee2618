package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/record"
)

// readSecretStdin reads a secret from stdin: the whole input with one
// trailing newline (and surrounding spaces) removed.
func readSecretStdin(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, record.MaxTokenSize+1))
	if err != nil {
		return "", err
	}
	if len(b) > record.MaxTokenSize {
		// Cutting it would store a token that silently fails later.
		return "", errors.New("stdin holds more than 1 MiB, more than any token; nothing was stored")
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", errors.New("stdin was empty")
	}
	return s, nil
}

// parseTime reads a time given on the command line (--expires-at).
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time; use RFC 3339 (2026-12-31T18:00:00Z) or a date (2026-12-31)", s)
}
