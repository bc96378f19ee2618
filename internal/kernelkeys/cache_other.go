//go:build !linux

package kernelkeys

import "time"

// Cache is a no-op outside Linux: there is no kernel keyring, every
// Get misses and Put stores nothing, so callers read the OS keyring each
// time. See the Linux version for what it does there.
type Cache struct{}

// Get always misses.
func (Cache) Get(string) ([]byte, bool) { return nil, false }

// Put stores nothing and reports success, so callers need no platform check.
func (Cache) Put(string, []byte, time.Duration) error { return nil }

// Delete has nothing to remove.
func (Cache) Delete(string) error { return nil }

// Remaining knows nothing: there is no kernel keyring.
func (Cache) Remaining(string) (time.Duration, bool) { return 0, false }
