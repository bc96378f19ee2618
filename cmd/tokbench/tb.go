package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
)

// harnessTB lets the harness use test servers (authserver) that take a
// testing.TB, outside of go test. Only the methods such helpers call are
// implemented; the embedded interface stays nil, so any other method would
// panic loudly instead of silently doing nothing.
type harnessTB struct {
	testing.TB

	dir     string    // parent of every TempDir
	verbose io.Writer // Logf output; io.Discard unless -v

	mu       sync.Mutex
	cleanups []func()
	tempN    int
}

// fatalError is the panic value of Fatal and Fatalf; main recovers it,
// runs the cleanups and exits.
type fatalError struct{ msg string }

func newHarnessTB(dir string, verbose io.Writer) *harnessTB {
	return &harnessTB{dir: dir, verbose: verbose}
}

func (t *harnessTB) Helper()      {}
func (t *harnessTB) Name() string { return "tokbench" }

func (t *harnessTB) Logf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.verbose, format+"\n", args...)
}

func (t *harnessTB) Log(args ...any) { t.Logf("%s", fmt.Sprint(args...)) }

func (t *harnessTB) Errorf(format string, args ...any) { t.Fatalf(format, args...) }
func (t *harnessTB) Error(args ...any)                 { t.Fatal(args...) }

func (t *harnessTB) Fatalf(format string, args ...any) {
	panic(fatalError{fmt.Sprintf(format, args...)})
}

func (t *harnessTB) Fatal(args ...any) { panic(fatalError{fmt.Sprint(args...)}) }

func (t *harnessTB) TempDir() string {
	t.mu.Lock()
	t.tempN++
	n := t.tempN
	t.mu.Unlock()
	dir, err := os.MkdirTemp(t.dir, fmt.Sprintf("tb%03d-", n))
	if err != nil {
		t.Fatalf("could not create a temporary directory: %v", err)
	}
	return dir
}

func (t *harnessTB) Cleanup(fn func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, fn)
}

// runCleanups runs the registered cleanups, last first, as testing does.
func (t *harnessTB) runCleanups() {
	t.mu.Lock()
	fns := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}
