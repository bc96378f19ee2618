// Package tui holds tok's interactive pieces: the profile picker (Pick),
// progress while waiting on a person or the network (Wait), and the status
// table (Table).
//
// It knows nothing of storage, keyrings or OAuth: callers hand it plain
// values (Item) and get plain values back. Everything is drawn on the writer
// the caller passes, stderr or /dev/tty, never on stdout, so that
// TOKEN=$(tok token) captures only the token. Whether that writer is a
// terminal and whether colour is wanted is the caller's decision; NO_COLOR
// is honoured here as well. Without colour nothing but plain text and, on a
// terminal, cursor movement is written.
//
// The package does no work at init time: styles are built per call from the
// writer and the colour decision, never kept in package-level variables
// that would probe the terminal. For the same reason it avoids
// bubbles/textinput, whose clipboard dependency searches PATH at init.
package tui
