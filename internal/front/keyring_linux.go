package front

import "github.com/tok-cli/tok/internal/keysource"

// osKeyring is nil on Linux: the front reads the data key only from the
// kernel-keyring cache (internal/kernelkeys). On a miss (the first call of
// a session, or ten minutes after the last read) it hands over to
// tok-full, which asks the Secret Service over D-Bus and fills the cache.
// The front thus never waits for a slow or locked Secret Service only for
// tok-full to wait for it again, the D-Bus read costs the same in either
// binary, and the front links no D-Bus client at all (internal/archtest's
// TestFrontStaysSmall).
func osKeyring() (kr keysource.OSKeyring, notFound error) { return nil, nil }
