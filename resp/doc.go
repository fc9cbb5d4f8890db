// Package resp encodes and decodes the Redis serialization protocol (RESP2 and RESP3).
//
// It depends on nothing else in Vigil and works on byte slices only: Parse reads one
// command (multibulk or inline) from the front of a buffer and returns arguments that
// alias that buffer; Writer appends replies to a byte slice that the caller flushes once
// per pipeline batch. Neither type is safe for concurrent use; each connection owns its own.
package resp
