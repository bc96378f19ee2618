// Command tok-full is the complete tok: every command, the TUI, logins,
// refresh and revocation. People run `tok`, which answers cached-token
// requests itself and execs tok-full, installed next to it, for the rest
// (see internal/front).
package main

import (
	"os"

	"github.com/tok-cli/tok/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
