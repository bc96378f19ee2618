// Command tok keeps short-lived access tokens fresh for people, scripts,
// kubectl and CI. See docs/ or run tok --help.
package main

import (
	"os"

	"github.com/tok-cli/tok/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
