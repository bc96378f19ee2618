// Package termguard stops bubbletea v1's package initialisation from
// querying the terminal.
//
// bubbletea v1.3's init calls lipgloss.HasDarkBackground, which, when
// stdout is a terminal, writes an OSC 11 query and waits up to five seconds
// for the answer. Every tok command would pay that round trip — on the hot
// path, over SSH, and in full on a pseudo-terminal nobody answers (docker
// -t, some CI runners) — before main even starts. termenv skips the query
// when TERM is "dumb", so this package, which imports nothing but syscall
// and therefore initialises before bubbletea, sets TERM=dumb, and
// cli.Main puts the real value back (Restore) before doing anything else.
// tok's own TUI builds its renderers later, from the restored TERM.
//
// Remove this package when tok moves to bubbletea v2, which drops the
// query from its init.
package termguard

import "syscall"

// original is TERM as tok was started with it; set once, by init, before
// main runs, and only read afterwards.
var original struct {
	value string
	set   bool
}

func init() {
	original.value, original.set = syscall.Getenv("TERM")
	_ = syscall.Setenv("TERM", "dumb")
}

// Restore puts TERM back as tok was started with it.
func Restore() {
	if original.set {
		_ = syscall.Setenv("TERM", original.value)
	} else {
		_ = syscall.Unsetenv("TERM")
	}
}
