// Package iostreams carries tok's standard streams and what is known about
// them: whether a person is at a terminal, whether colour is wanted.
//
// stdout carries data only (a token, JSON, an ExecCredential); everything a
// person reads goes to stderr. A prompt needs a terminal on stdin and on
// stderr, but not on stdout, so `TOKEN=$(tok token)` can still prompt.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the process's streams.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	inTTY, outTTY, errTTY bool
	noColor               bool
	// errSize is the size of the terminal on stderr; nil when unknown.
	errSize func() (cols, rows int, err error)
}

// System returns the process's real streams.
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	s.inTTY = term.IsTerminal(int(os.Stdin.Fd()))
	s.outTTY = term.IsTerminal(int(os.Stdout.Fd()))
	s.errTTY = term.IsTerminal(int(os.Stderr.Fd()))
	s.errSize = func() (int, int, error) { return term.GetSize(int(os.Stderr.Fd())) }
	_, s.noColor = os.LookupEnv("NO_COLOR")
	if os.Getenv("TERM") == "dumb" {
		s.noColor = true
	}
	return s
}

// Test returns streams backed by buffers, none of them a terminal.
func Test() (s *IOStreams, in *bytes.Buffer, out *bytes.Buffer, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, noColor: true}, in, out, errOut
}

// CanDraw reports whether a full-screen prompt (the picker, a form) can be
// drawn: a person can answer (CanPrompt) and the terminal has a size. A
// terminal that reports 0×0 (some containers and CI runners) would get
// blank lines, so callers treat it as no terminal.
func (s *IOStreams) CanDraw() bool {
	if !s.CanPrompt() {
		return false
	}
	if s.errSize == nil {
		return true
	}
	cols, rows, err := s.errSize()
	return err == nil && cols > 0 && rows > 0
}

// SetSize fixes the terminal size CanDraw sees (tests).
func (s *IOStreams) SetSize(cols, rows int) {
	s.errSize = func() (int, int, error) { return cols, rows, nil }
}

// SetTTY marks the streams as terminals or not (tests).
func (s *IOStreams) SetTTY(in, out, err bool) { s.inTTY, s.outTTY, s.errTTY = in, out, err }

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.inTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.outTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.errTTY }

// CanPrompt reports whether a person can answer a prompt: stdin and stderr
// are terminals. stdout may be captured by the caller.
func (s *IOStreams) CanPrompt() bool { return s.inTTY && s.errTTY }

// ColorEnabled reports whether output on stderr may use colour.
func (s *IOStreams) ColorEnabled() bool { return s.errTTY && !s.noColor }

// ReadSecret reads a line from the terminal on stdin without echo.
func (s *IOStreams) ReadSecret(prompt string) (string, error) {
	f, ok := s.In.(*os.File)
	if !ok || !s.inTTY {
		return "", io.ErrUnexpectedEOF
	}
	_, _ = io.WriteString(s.ErrOut, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	_, _ = io.WriteString(s.ErrOut, "\n")
	return string(b), err
}

// Terminal returns streams on the controlling terminal f (/dev/tty) for
// a person's input and messages, with out (a helper's protocol stream,
// which belongs to the calling program) as stdout.
func Terminal(f *os.File, out io.Writer) *IOStreams {
	s := &IOStreams{In: f, Out: out, ErrOut: f, inTTY: true, errTTY: true}
	_, s.noColor = os.LookupEnv("NO_COLOR")
	if os.Getenv("TERM") == "dumb" {
		s.noColor = true
	}
	return s
}
