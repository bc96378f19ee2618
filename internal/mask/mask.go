// Package mask hides secrets in a stream of output: every occurrence of a
// secret written through a Writer comes out as "***", even when the
// secret arrives split across several writes.
//
// A Writer holds back only the bytes at the end of a write that could be
// the start of a secret (at most the longest secret's length minus one),
// so ordinary output passes through without delay. Flush writes what is
// held back when the stream ends.
package mask

import (
	"bytes"
	"io"
	"sync"
)

// Replacement is what each occurrence of a secret becomes.
const Replacement = "***"

// maxSecrets bounds the secrets a Set remembers: a child of tok exec that
// runs for days sees one new token per lifetime, and the oldest ones are
// long expired.
const maxSecrets = 64

// Set is the secrets to hide, shared by the Writers of one run (stdout and
// stderr). Secrets can be added while the Writers are in use.
type Set struct {
	mu      sync.RWMutex
	secrets [][]byte
}

// Add adds secrets to hide; empty ones and duplicates are ignored. When
// more than maxSecrets are known, the oldest is forgotten.
func (s *Set) Add(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sec := range secrets {
		if sec == "" || s.has(sec) {
			continue
		}
		s.secrets = append(s.secrets, []byte(sec))
		if len(s.secrets) > maxSecrets {
			s.secrets = s.secrets[1:]
		}
	}
}

func (s *Set) has(sec string) bool {
	for _, b := range s.secrets {
		if string(b) == sec {
			return true
		}
	}
	return false
}

func (s *Set) snapshot() [][]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.secrets
}

// Writer replaces the secrets of a Set in everything written to it before
// passing it on. It is not safe for concurrent writes; give each stream
// its own Writer.
type Writer struct {
	out   io.Writer
	set   *Set
	carry []byte // tail of earlier writes that may begin a secret
}

// NewWriter returns a Writer that writes to out with the secrets of set
// replaced.
func NewWriter(out io.Writer, set *Set) *Writer {
	return &Writer{out: out, set: set}
}

// Write masks p and writes what is certain not to be part of a secret. It
// reports len(p) on success, as the bytes are either written or held.
func (w *Writer) Write(p []byte) (int, error) {
	secrets := w.set.snapshot()
	buf := append(w.carry, p...)
	out, rest := replaceAll(buf, secrets, false)
	hold := partialSuffix(rest, secrets)
	out = append(out, rest[:len(rest)-hold]...)
	w.carry = append(w.carry[:0:0], rest[len(rest)-hold:]...)
	if len(out) > 0 {
		if _, err := w.out.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes the bytes held back: at the end of the stream they can no
// longer become a secret.
func (w *Writer) Flush() error {
	if len(w.carry) == 0 {
		return nil
	}
	done, rest := replaceAll(w.carry, w.set.snapshot(), true)
	w.carry = nil
	_, err := w.out.Write(append(done, rest...))
	return err
}

// replaceAll returns buf with every whole secret replaced, split into the
// part that is done (up to and including the last replacement) and the
// rest, which may still end in the beginning of a secret. Unless final is
// set, a match that could still grow into a longer secret with the next
// write is left in rest.
func replaceAll(buf []byte, secrets [][]byte, final bool) (done, rest []byte) {
	for {
		at, n := firstMatch(buf, secrets)
		if at < 0 || !final && couldGrow(buf[at:], secrets) {
			return done, buf
		}
		done = append(done, buf[:at]...)
		done = append(done, Replacement...)
		buf = buf[at+n:]
	}
}

// firstMatch finds the earliest occurrence of any secret in buf, the
// longest one when several start there.
func firstMatch(buf []byte, secrets [][]byte) (at, n int) {
	at = -1
	for _, s := range secrets {
		i := bytes.Index(buf, s)
		if i < 0 {
			continue
		}
		if at < 0 || i < at || i == at && len(s) > n {
			at, n = i, len(s)
		}
	}
	return at, n
}

// couldGrow reports whether tail is a proper prefix of some secret, so a
// shorter secret matched at its start may yet be part of a longer one.
func couldGrow(tail []byte, secrets [][]byte) bool {
	for _, s := range secrets {
		if len(tail) < len(s) && bytes.HasPrefix(s, tail) {
			return true
		}
	}
	return false
}

// partialSuffix is the length of the longest suffix of buf that is a
// proper prefix of some secret.
func partialSuffix(buf []byte, secrets [][]byte) int {
	best := 0
	for _, s := range secrets {
		for k := min(len(s)-1, len(buf)); k > best; k-- {
			if bytes.HasPrefix(s, buf[len(buf)-k:]) {
				best = k
				break
			}
		}
	}
	return best
}
