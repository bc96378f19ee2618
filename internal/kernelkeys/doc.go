// Package kernelkeys keeps short-lived copies of small secrets (tok's
// data key) in the Linux kernel keyring, so that a process can skip the
// Secret Service's D-Bus round trip when another tok process of the same
// login session read the secret moments ago, and so that `tok unlock` can
// leave an unwrapped passphrase key where the next commands find it.
//
// It is its own package, apart from internal/keyring (the go-keyring
// adapter), because the small tok front reads only this cache on Linux:
// linking the adapter would link godbus, and every package a binary links
// costs start-up time on the hot path (internal/archtest's
// TestFrontStaysSmall fails if the Linux front links D-Bus). It needs
// only golang.org/x/sys/unix. Elsewhere Cache is a no-op that always
// misses.
package kernelkeys
