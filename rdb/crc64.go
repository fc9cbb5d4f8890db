package rdb

import "hash/crc64"

// Redis's CRC-64/Jones: reflected polynomial 0x95AC9329AC4BC9B5, init 0, no final xor.
var jonesTable = crc64.MakeTable(0x95AC9329AC4BC9B5)

// jonesSlicing8 are the slicing-by-8 tables for the Jones polynomial, built once.
var jonesSlicing8 = func() *[8][256]uint64 {
	var t [8][256]uint64
	t[0] = *jonesTable
	for i := 0; i < 256; i++ {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][crc&0xff] ^ (crc >> 8)
			t[j][i] = crc
		}
	}
	return &t
}()

// CRC64 continues the Redis checksum crc over p.
func CRC64(crc uint64, p []byte) uint64 {
	t := jonesSlicing8
	for len(p) >= 8 {
		crc ^= uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 |
			uint64(p[4])<<32 | uint64(p[5])<<40 | uint64(p[6])<<48 | uint64(p[7])<<56
		crc = t[7][crc&0xff] ^ t[6][(crc>>8)&0xff] ^ t[5][(crc>>16)&0xff] ^ t[4][(crc>>24)&0xff] ^
			t[3][(crc>>32)&0xff] ^ t[2][(crc>>40)&0xff] ^ t[1][(crc>>48)&0xff] ^ t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ (crc >> 8)
	}
	return crc
}
