//go:build !linux

package keyring

import "time"

// KernelCache is a no-op outside Linux: there is no kernel keyring, every
// Get misses and Put stores nothing, so callers read the OS keyring each
// time. See the Linux version for what it does there.
type KernelCache struct{}

// Get always misses.
func (KernelCache) Get(string) ([]byte, bool) { return nil, false }

// Put stores nothing and reports success, so callers need no platform check.
func (KernelCache) Put(string, []byte, time.Duration) error { return nil }

// Delete has nothing to remove.
func (KernelCache) Delete(string) error { return nil }

// Remaining knows nothing: there is no kernel keyring.
func (KernelCache) Remaining(string) (time.Duration, bool) { return 0, false }
