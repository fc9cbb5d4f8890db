package resp

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestAppendDouble(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{1.5, "1.5"},
		{0.1, "0.10000000000000001"},
		{3, "3"},
		{-2.25, "-2.25"},
		{1e20, "1e+20"},
		{1.2345e-5, "1.2345e-05"},
		{123456789012345678, "1.2345678901234568e+17"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{0, "0"},
	}
	for _, tc := range cases {
		if got := string(AppendDouble(nil, tc.in)); got != tc.want {
			t.Errorf("AppendDouble(%v): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWriterProtocols(t *testing.T) {
	cases := []struct {
		name  string
		proto int
		write func(w *Writer)
		want  string
	}{
		{"null2", 2, func(w *Writer) { w.Null() }, "$-1\r\n"},
		{"null3", 3, func(w *Writer) { w.Null() }, "_\r\n"},
		{"nullarray2", 2, func(w *Writer) { w.NullArray() }, "*-1\r\n"},
		{"map2", 2, func(w *Writer) { w.Map(2) }, "*4\r\n"},
		{"map3", 3, func(w *Writer) { w.Map(2) }, "%2\r\n"},
		{"double2", 2, func(w *Writer) { w.Double(1.5) }, "$3\r\n1.5\r\n"},
		{"double3", 3, func(w *Writer) { w.Double(1.5) }, ",1.5\r\n"},
		{"error newline", 2, func(w *Writer) { w.Error("ERR a\r\nb") }, "-ERR a  b\r\n"},
		{"push3", 3, func(w *Writer) { w.Push(3) }, ">3\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := &Writer{Proto: tc.proto}
			tc.write(w)
			if string(w.B) != tc.want {
				t.Errorf("got %q, want %q", w.B, tc.want)
			}
		})
	}
}

// TestWriterLimit: past Limit bytes after Mark, nothing more is appended (Error aside).
func TestWriterLimit(t *testing.T) {
	w := Writer{B: []byte("+earlier\r\n"), Proto: 2, Limit: 20}
	w.Mark = len(w.B)
	w.Array(100)
	for i := 0; i < 100; i++ {
		w.BulkString("abcdef")
	}
	if !w.Full() {
		t.Fatalf("Full() = false after %d bytes, want true (limit 20)", len(w.B)-w.Mark)
	}
	// "*100\r\n" (6) + two "$6\r\nabcdef\r\n" (12 each) passes 20: nothing after the second
	if got, want := len(w.B)-w.Mark, 6+12+12; got != want {
		t.Errorf("reply length: got %d, want %d (appends must stop once past the limit)", got, want)
	}
	w.Error("ERR x")
	if !bytes.HasSuffix(w.B, []byte("-ERR x\r\n")) {
		t.Errorf("Error after Full: got %q, want it appended", w.B)
	}
	unlimited := Writer{Proto: 2}
	unlimited.BulkString(strings.Repeat("x", 1000))
	if unlimited.Full() {
		t.Error("Full() = true with Limit 0, want false")
	}
}
