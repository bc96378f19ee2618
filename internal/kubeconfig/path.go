package kubeconfig

import (
	"os"
	"path/filepath"
)

// DefaultPath returns the kubeconfig file kubectl would write a new users
// entry to: with $KUBECONFIG set, its first listed file that exists, or its
// first entry when none exists; otherwise ~/.kube/config.
func DefaultPath() string {
	var first string
	for _, p := range filepath.SplitList(os.Getenv("KUBECONFIG")) {
		if p == "" {
			continue
		}
		if first == "" {
			first = p
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if first != "" {
		return first
	}
	home, err := os.UserHomeDir()
	if err != nil {
		// Without a home directory kubectl, too, uses .kube/config relative to
		// the working directory.
		return filepath.Join(".kube", "config")
	}
	return filepath.Join(home, ".kube", "config")
}
