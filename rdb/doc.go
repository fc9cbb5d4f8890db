// Package rdb reads and writes Redis's RDB format (versions 1 to 10 read, 10 written),
// the format of dump.rdb files, of full resynchronisation payloads and of DUMP/RESTORE.
//
// It depends only on the standard library: Decoder turns a byte stream into Entries
// (one key each, with its database, expiry and value in a plain representation),
// Encoder writes entries back. Blob encodings (ziplist, listpack, intset, zipmap) are
// decoded in blobs.go; the CRC-64/Jones checksum is in crc64.go and LZF in lzf.go.
// Nothing here is safe for concurrent use.
package rdb
