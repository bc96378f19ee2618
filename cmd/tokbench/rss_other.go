//go:build !unix

package main

import "os"

// maxRSSKiB is unknown where the OS reports no rusage: the peak-RSS budget
// then reads 0 and is not meaningful (the budgets are measured on Linux).
func maxRSSKiB(*os.ProcessState) int64 { return 0 }
