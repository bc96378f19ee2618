package privfile

import "io/fs"

// Windows has no O_NOFOLLOW and guards the profile directory with ACLs.
const noFollow = 0

func owner(fs.FileInfo) (uid int, mine bool) { return -1, true }

func isSymlinkErr(error) bool { return false }
