package server

// pubsubGlob reports whether s matches the glob pattern as Redis's stringmatchlen does
// (case-sensitive): '*', '?', '[...]' with '^' negation and 'a-z' ranges, '\' escapes.
// Bytes compare as C's signed char, as in Redis.
func pubsubGlob(pattern, s []byte) bool {
	skip := false
	return globMatch(pattern, s, &skip, 0)
}

// globAt returns p[i], or 0 past the end (C's NUL terminator).
func globAt(p []byte, i int) byte {
	if i < len(p) {
		return p[i]
	}
	return 0
}

func globMatch(p, s []byte, skipLonger *bool, nesting int) bool {
	if nesting > 1000 {
		return false
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if globMatch(p[1:], s, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			*skipLonger = true
			return false
		case '?':
			s, p = s[1:], p[1:]
		case '[':
			var ok bool
			p, ok = globClass(p[1:], s[0])
			if !ok {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if p[0] != s[0] {
				return false
			}
			s, p = s[1:], p[1:]
		}
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}

// globClass matches c against the class that starts at p (just after '['). It returns
// the pattern after the class's closing ']' (empty when unterminated) and whether c matched.
func globClass(p []byte, c byte) ([]byte, bool) {
	not := globAt(p, 0) == '^'
	if not {
		p = p[1:]
	}
	match := false
	for {
		switch {
		case globAt(p, 0) == '\\' && len(p) >= 2:
			p = p[1:]
			if p[0] == c {
				match = true
			}
		case globAt(p, 0) == ']':
			return p[1:], match != not
		case len(p) == 0:
			return p, match != not
		case len(p) >= 3 && p[1] == '-':
			start, end, ch := int8(p[0]), int8(p[2]), int8(c)
			if start > end {
				start, end = end, start
			}
			p = p[2:]
			if ch >= start && ch <= end {
				match = true
			}
		default:
			if p[0] == c {
				match = true
			}
		}
		p = p[1:]
	}
}
