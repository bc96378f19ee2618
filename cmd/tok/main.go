// Command tok keeps short-lived access tokens fresh for people, scripts,
// kubectl and CI. See docs/ or run tok --help.
//
// This binary is small on purpose: it answers cached-token requests
// itself and hands everything else to tok-full (see internal/front).
package main

import (
	"os"

	"github.com/tok-cli/tok/internal/front"
)

func main() {
	os.Exit(front.Main())
}
