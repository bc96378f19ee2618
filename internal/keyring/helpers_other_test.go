//go:build !linux

package keyring_test

// The other-user helpers exist only where the kernel keyring does.
func becomeOtherUser()  { printResult(helperResult{Err: "not on Linux"}) }
func helperCachePlant() { printResult(helperResult{Err: "not on Linux"}) }
