package rdb

import "hash/crc64"

// Redis's CRC-64/Jones: reflected polynomial 0x95AC9329AC4BC9B5, init 0, no final xor.
// Go's crc64.Update inverts the crc on entry and exit, so undo that on both sides.
var jonesTable = crc64.MakeTable(0x95AC9329AC4BC9B5)

// CRC64 continues the Redis checksum crc over p.
func CRC64(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, jonesTable, p)
}
