// Package build holds version information stamped in by the linker.
package build

// These are set with -ldflags "-X github.com/tok-cli/tok/internal/build.Version=…"
// by goreleaser and the Makefile; they are variables only so the linker can
// write them, and nothing in tok assigns them at run time.
var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
)
