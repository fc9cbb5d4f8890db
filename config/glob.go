package config

// Glob reports whether s matches the glob-style pattern, exactly as Redis's
// stringmatchlen (util.c) does: '*' any run of bytes, '?' one byte,
// '[abc]', '[^abc]', '[a-z]' (reversed ranges allowed) classes, and '\x' to
// match x literally. With nocase, ASCII letters compare case-insensitively.
// An unterminated '[' class is closed at the end of the pattern. Like Redis, it
// works on bytes (ranges compare bytes as C's signed char) and gives up on
// patterns nested more than 1000 '*' deep. It is Vigil's one matcher: CONFIG GET,
// KEYS, SCAN MATCH, COMMAND LIST FILTERBY PATTERN, PSUBSCRIBE and the sentinel's.
func Glob(pattern, s string, nocase bool) bool {
	skip := false
	return globImpl(pattern, s, nocase, &skip, 0)
}

func globImpl(pat, str string, nocase bool, skipLonger *bool, nesting int) bool {
	if nesting > 1000 {
		return false
	}
	at := func(i int) byte { // the pattern is NUL-terminated in C
		if i < len(pat) {
			return pat[i]
		}
		return 0
	}
	p, s := 0, 0
	for p < len(pat) && s < len(str) {
		switch pat[p] {
		case '*':
			for p < len(pat) && at(p+1) == '*' {
				p++
			}
			if len(pat)-p == 1 {
				return true
			}
			for s < len(str) {
				if globImpl(pat[p+1:], str[s:], nocase, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s++
			}
			*skipLonger = true
			return false
		case '?':
			s++
		case '[':
			p++
			not := at(p) == '^'
			if not {
				p++
			}
			match := false
		class:
			for {
				left := len(pat) - p
				switch {
				case at(p) == '\\' && left >= 2:
					p++
					if pat[p] == str[s] {
						match = true
					}
				case at(p) == ']':
					break class
				case left == 0:
					p--
					break class
				case left >= 3 && pat[p+1] == '-':
					start, end, c := int(int8(pat[p])), int(int8(pat[p+2])), int(int8(str[s]))
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, c = lower(start), lower(end), lower(c)
					}
					p += 2
					if c >= start && c <= end {
						match = true
					}
				default:
					if equalByte(pat[p], str[s], nocase) {
						match = true
					}
				}
				p++
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s++
		case '\\':
			if len(pat)-p >= 2 {
				p++
			}
			fallthrough
		default:
			if !equalByte(pat[p], str[s], nocase) {
				return false
			}
			s++
		}
		p++
		if s == len(str) {
			for p < len(pat) && pat[p] == '*' {
				p++
			}
			break
		}
	}
	return p == len(pat) && s == len(str)
}

func lower(c int) int {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func equalByte(a, b byte, nocase bool) bool {
	if !nocase {
		return a == b
	}
	return lower(int(a)) == lower(int(b))
}
