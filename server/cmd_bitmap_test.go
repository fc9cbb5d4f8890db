package server

import (
	"strconv"
	"testing"
)

func TestBitmapReplies(t *testing.T) {
	ts := newTestServer(t, nil)
	addList(ts, "list")
	c := ts.dial(t)
	runReplyCases(t, c, []replyCase{
		rc(intR(0), "SETBIT", "b", "7", "1"),
		rc(bulk("\x01"), "GET", "b"),
		rc(intR(1), "SETBIT", "b", "7", "0"),
		rc(intR(0), "GETBIT", "b", "7"),
		rc(intR(0), "GETBIT", "b", "100000"),
		rc(intR(0), "GETBIT", "missing", "3"),
		rc(errR(ErrBitValue), "SETBIT", "b", "1", "2"),
		rc(errR(ErrBitValue), "SETBIT", "b", "1", "x"),
		rc(errR(ErrBitOffset), "SETBIT", "b", "-1", "1"),
		rc(errR(ErrBitOffset), "SETBIT", "b", "4294967296", "1"),
		rc(errR(ErrBitOffset), "GETBIT", "b", "#1"),
		rc(errR(ErrWrongType), "SETBIT", "list", "0", "1"),
		rc(okR, "SET", "c", "foobar"),
		rc(intR(26), "BITCOUNT", "c"),
		rc(intR(4), "BITCOUNT", "c", "0", "0"),
		rc(intR(6), "BITCOUNT", "c", "1", "1"),
		rc(intR(17), "BITCOUNT", "c", "5", "30", "BIT"),
		rc(intR(0), "BITCOUNT", "c", "-1", "-5"),
		rc(errR(ErrSyntax), "BITCOUNT", "c", "1"),
		rc(errR(ErrSyntax), "BITCOUNT", "c", "0", "1", "BITS"),
		rc(intR(0), "BITCOUNT", "missing", "x", "y"),
		rc(okR, "SET", "p", "\xff\xf0\x00"),
		rc(intR(12), "BITPOS", "p", "0"),
		rc(intR(0), "BITPOS", "p", "1"),
		rc(intR(16), "BITPOS", "p", "0", "2"),
		rc(intR(-1), "BITPOS", "p", "1", "2"),
		rc(intR(-1), "BITPOS", "p", "0", "0", "0"),
		rc(intR(12), "BITPOS", "p", "0", "8", "15", "BIT"),
		rc(intR(9), "BITPOS", "p", "1", "9", "12", "BIT"),
		rc(intR(0), "BITPOS", "p", "1", "-10", "-20"),
		rc(errR(ErrBitArg), "BITPOS", "p", "2"),
		rc(intR(-1), "BITPOS", "missing", "1"),
		rc(intR(0), "BITPOS", "missing", "0"),
		rc(okR, "SET", "x", "\xff\xff\xff"),
		rc(intR(24), "BITPOS", "x", "0"),
		rc(intR(-1), "BITPOS", "x", "0", "0", "-1"),
		rc(okR, "SET", "o1", "\xff\x0f"),
		rc(okR, "SET", "o2", "\xf0\xf0\xf0"),
		rc(intR(3), "BITOP", "AND", "d", "o1", "o2"),
		rc(bulk("\xf0\x00\x00"), "GET", "d"),
		rc(intR(3), "BITOP", "OR", "d", "o1", "o2"),
		rc(bulk("\xff\xff\xf0"), "GET", "d"),
		rc(intR(3), "BITOP", "XOR", "d", "o1", "o2"),
		rc(bulk("\x0f\xff\xf0"), "GET", "d"),
		rc(intR(2), "BITOP", "NOT", "d", "o1"),
		rc(bulk("\x00\xf0"), "GET", "d"),
		rc(errR(ErrBitopNot), "BITOP", "NOT", "d", "o1", "o2"),
		rc(errR(ErrSyntax), "BITOP", "NAND", "d", "o1"),
		rc(errR(ErrWrongType), "BITOP", "AND", "d", "o1", "list"),
		rc(intR(0), "BITOP", "AND", "d", "missing"),
		rc(nullR, "GET", "d"),
	})
}

func TestBitfieldReplies(t *testing.T) {
	ts := newTestServer(t, nil)
	addList(ts, "list")
	c := ts.dial(t)
	arr := func(items ...string) string {
		out := "*" + itoa(len(items)) + "\r\n"
		for _, it := range items {
			out += it
		}
		return out
	}
	runReplyCases(t, c, []replyCase{
		rc(arr(), "BITFIELD", "f"),
		rc(arr(intR(0)), "BITFIELD", "f", "GET", "u8", "0"),
		rc(arr(intR(0), intR(255)), "BITFIELD", "f", "SET", "u8", "0", "255", "GET", "u8", "0"),
		rc(arr(intR(0)), "BITFIELD", "f", "INCRBY", "u8", "0", "1"),
		rc(arr(intR(255), intR(0)), "BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "1000", "INCRBY", "u8", "0", "-1000"),
		rc(arr(nullR, intR(10)), "BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000", "INCRBY", "u8", "0", "10"),
		rc(arr(intR(0), intR(-100)), "BITFIELD", "f", "SET", "i8", "#1", "-100", "GET", "i8", "8"),
		rc(arr(intR(0), intR(-9223372036854775808)), "BITFIELD", "g", "SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1"),
		rc(arr(intR(-9223372036854775808), intR(9223372036854775807)), "BITFIELD", "g", "OVERFLOW", "SAT", "SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1"),
		rc(arr(intR(0), intR(0)), "BITFIELD", "h", "SET", "u63", "0", "9223372036854775807", "INCRBY", "u63", "0", "1"),
		rc(arr(intR(0), intR(255)), "BITFIELD", "u", "SET", "u8", "0", "-1", "SET", "u8", "0", "256"),
		rc(arr(intR(0), intR(15)), "BITFIELD", "s", "SET", "i5", "3", "-16", "INCRBY", "i5", "3", "-1"),
		rc(errR(ErrBitfieldType), "BITFIELD", "f", "GET", "u64", "0"),
		rc(errR(ErrBitfieldType), "BITFIELD", "f", "GET", "U8", "0"),
		rc(errR(ErrBitfieldType), "BITFIELD", "f", "GET", "i65", "0"),
		rc(errR(ErrBitOffset), "BITFIELD", "f", "GET", "u8", "-1"),
		rc(errR(ErrBitOffset), "BITFIELD", "f", "GET", "u8", "#-1"),
		rc(errR(ErrBitOffset), "BITFIELD", "f", "GET", "u8", "4294967296"),
		rc(errR(ErrNotInt), "BITFIELD", "f", "SET", "u8", "0", "x"),
		rc(errR(ErrBitfieldOverflow), "BITFIELD", "f", "OVERFLOW", "BAD"),
		rc(errR(ErrSyntax), "BITFIELD", "f", "OVERFLOW"),
		rc(errR(ErrSyntax), "BITFIELD", "f", "GET", "u8"),
		rc(errR(ErrSyntax), "BITFIELD", "f", "BAD", "u8", "0"),
		rc(arr(intR(10), intR(-100)), "BITFIELD_RO", "f", "GET", "u8", "0", "GET", "i8", "#1"),
		rc(arr(intR(0)), "BITFIELD_RO", "missing", "GET", "u8", "0"),
		rc(errR(ErrBitfieldROWrite), "BITFIELD_RO", "f", "SET", "u8", "0", "1"),
		rc(errR(ErrBitfieldType), "BITFIELD_RO", "f", "SET", "u64", "0", "1"),
		rc(errR(ErrWrongType), "BITFIELD", "list", "GET", "u8", "0"),
		rc(errR(ErrWrongType), "BITFIELD", "list", "SET", "u8", "0", "1"),
		rc(errR(ErrWrongType), "BITFIELD", "list"),
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestBitmapPropagation(t *testing.T) {
	set := func(args ...string) []string { return args }
	runPropCases(t, []propCase{
		{"setbit", nil, set("SETBIT", "k", "3", "1"), []string{"SETBIT k 3 1"}},
		{"setbit new zero", nil, set("SETBIT", "k", "3", "0"), []string{"SETBIT k 3 0"}},
		{"setbit no change", [][]string{{"SETBIT", "k", "3", "1"}}, set("SETBIT", "k", "3", "1"), nil},
		{"setbit grow", [][]string{{"SETBIT", "k", "3", "1"}}, set("SETBIT", "k", "100", "0"), []string{"SETBIT k 100 0"}},
		{"bitop", [][]string{{"SET", "a", "x"}}, set("BITOP", "OR", "d", "a"), []string{"BITOP OR d a"}},
		{"bitop empty deletes", [][]string{{"SET", "d", "x"}}, set("BITOP", "AND", "d", "missing"), []string{"BITOP AND d missing"}},
		{"bitop empty nothing", nil, set("BITOP", "AND", "d", "missing"), nil},
		{"bitfield get", [][]string{{"SET", "k", "x"}}, set("BITFIELD", "k", "GET", "u8", "0"), nil},
		{"bitfield set", nil, set("BITFIELD", "k", "SET", "u8", "0", "0"), []string{"BITFIELD k SET u8 0 0"}},
		{"bitfield same value", [][]string{{"SET", "k", "a"}}, set("BITFIELD", "k", "SET", "u8", "0", "97"), nil},
		{"bitfield grow", [][]string{{"SET", "k", "a"}}, set("BITFIELD", "k", "SET", "u8", "100", "0"), []string{"BITFIELD k SET u8 100 0"}},
		{"bitfield fail", [][]string{{"SET", "k", "a"}}, set("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u2", "0", "10"), nil},
		{"bitfield fail grow", [][]string{{"SET", "k", "a"}}, set("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u2", "100", "10"), nil},
		{"bitfield incrby", nil, set("BITFIELD", "k", "INCRBY", "i8", "0", "5"), []string{"BITFIELD k INCRBY i8 0 5"}},
		{"bitfield_ro", [][]string{{"SET", "k", "a"}}, set("BITFIELD_RO", "k", "GET", "u8", "0"), nil},
	})
}
