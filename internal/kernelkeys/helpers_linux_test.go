package kernelkeys_test

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// otherUID is the user the helpers switch to: nobody.
const otherUID = 65534

// becomeOtherUser switches the helper (started by root) to another user
// while it keeps root's session keyring, as su without pam_keyinit does.
func becomeOtherUser() {
	if err := syscall.Setresuid(otherUID, otherUID, otherUID); err != nil {
		printResult(helperResult{Err: "setresuid: " + err.Error()})
	}
}

// helperCachePlant adds a key named HELPER_DESC with HELPER_VALUE to the
// session keyring the way an attacker sharing it could: readable by its
// possessors.
func helperCachePlant() {
	id, err := unix.AddKey("user", os.Getenv("HELPER_DESC"), []byte(os.Getenv("HELPER_VALUE")), unix.KEY_SPEC_SESSION_KEYRING)
	if err == nil {
		err = unix.KeyctlSetperm(id, 0x3f3f3f3f)
	}
	if err != nil {
		printResult(helperResult{Err: err.Error()})
	}
	printResult(helperResult{Found: true})
}
