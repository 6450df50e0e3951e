//go:build !unix

package safefile

// nonBlock is 0 where open(2) does not wait on FIFOs.
const nonBlock = 0
