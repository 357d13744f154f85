package router

import (
	"path"
	"strings"
	"unicode/utf8"
)

// globKind selects how a compiled pattern is matched. Every kind matches
// exactly the names that path.Match matches.
type globKind uint8

const (
	globAll     globKind = iota // "*": any name without '/'
	globLiteral                 // no meta characters: string equality
	globPrefix                  // "text*": the prefix, then no '/'
	globSuffix                  // "*text": no '/', then the suffix
	globPath                    // anything else: path.Match
)

// glob is a route pattern compiled for fast matching.
type glob struct {
	kind    globKind
	text    string // the literal, prefix or suffix
	pattern string // the whole pattern, for globPath
}

// globMeta are the bytes that give a path.Match pattern its syntax.
const globMeta = `*?[\`

// compileGlob picks the fastest matcher for a pattern that path.Match
// accepts. It does not validate the pattern.
func compileGlob(pattern string) glob {
	switch {
	case pattern == "*":
		return glob{kind: globAll, pattern: pattern}
	case !strings.ContainsAny(pattern, globMeta):
		return glob{kind: globLiteral, text: pattern, pattern: pattern}
	case strings.HasSuffix(pattern, "*") && !strings.ContainsAny(pattern[:len(pattern)-1], globMeta):
		return glob{kind: globPrefix, text: pattern[:len(pattern)-1], pattern: pattern}
	case strings.HasPrefix(pattern, "*") && !strings.ContainsAny(pattern[1:], globMeta):
		return glob{kind: globSuffix, text: pattern[1:], pattern: pattern}
	default:
		return glob{kind: globPath, pattern: pattern}
	}
}

// match reports whether name matches the pattern. A '*' does not match '/',
// as in path.Match.
func (g *glob) match(name string) bool {
	switch g.kind {
	case globAll:
		return strings.IndexByte(name, '/') < 0
	case globLiteral:
		return name == g.text
	case globPrefix:
		return strings.HasPrefix(name, g.text) && strings.IndexByte(name[len(g.text):], '/') < 0
	case globSuffix:
		return strings.HasSuffix(name, g.text) && strings.IndexByte(name[:len(name)-len(g.text)], '/') < 0
	default:
		// The pattern was validated by Compile, so path.Match returns no error.
		matched, _ := path.Match(g.pattern, name)
		return matched
	}
}

// matchFoldASCII is match for a lower-case pattern and an ASCII name whose
// upper-case letters count as lower case. It must not be used for globPath.
func (g *glob) matchFoldASCII(name string) bool {
	switch g.kind {
	case globAll:
		return strings.IndexByte(name, '/') < 0
	case globLiteral:
		return equalFoldASCII(name, g.text)
	case globPrefix:
		return hasPrefixFoldASCII(name, g.text) && strings.IndexByte(name[len(g.text):], '/') < 0
	case globSuffix:
		return len(name) >= len(g.text) &&
			hasPrefixFoldASCII(name[len(name)-len(g.text):], g.text) &&
			strings.IndexByte(name[:len(name)-len(g.text)], '/') < 0
	default:
		panic("router: matchFoldASCII on a path.Match pattern")
	}
}

// isASCII reports whether s has only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// validateGlob returns "" when path.Match accepts pattern, and otherwise the
// reason it is malformed, worded for a configuration error.
func validateGlob(pattern string) string {
	if _, err := path.Match(pattern, ""); err == nil {
		return ""
	}

	if reason := describeGlobError(pattern); reason != "" {
		return reason
	}
	// NOTE: describeGlobError follows the syntax of path.Match in Go 1.26. If
	// a later Go rejects a pattern for another reason, this generic text is used.
	return "syntax error, see the pattern syntax of Go's path.Match"
}

// describeGlobError scans pattern with the rules of path.Match and returns
// the first syntax error it finds, or "" when it finds none.
func describeGlobError(pattern string) string {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			i++
			if i == len(pattern) {
				return `trailing backslash: write \\ for a literal backslash`
			}
		case '[':
			end, reason := scanCharClass(pattern, i+1)
			if reason != "" {
				return reason
			}
			i = end
		}
	}

	return ""
}

// scanCharClass scans a character class whose '[' ends just before start. It
// returns the index of the closing ']' or the reason the class is malformed.
func scanCharClass(pattern string, start int) (end int, reason string) {
	i := start
	if i < len(pattern) && pattern[i] == '^' {
		i++
	}

	for ranges := 0; ; ranges++ {
		if i < len(pattern) && pattern[i] == ']' && ranges > 0 {
			return i, ""
		}

		next, reason := scanClassChar(pattern, i, ranges == 0)
		if reason != "" {
			return 0, reason
		}
		i = next

		if pattern[i] == '-' {
			if i, reason = scanClassChar(pattern, i+1, false); reason != "" {
				return 0, reason
			}
		}
	}
}

// scanClassChar scans one possibly escaped character of a character class at
// pattern[i]. It returns the index after it, which is always inside pattern,
// or the reason the class is malformed.
func scanClassChar(pattern string, i int, first bool) (next int, reason string) {
	const unclosed = "missing closing bracket"

	if i == len(pattern) {
		return 0, unclosed
	}

	switch pattern[i] {
	case ']':
		if first {
			return 0, `empty character class: put at least one character between [ and ], or write \] for a literal ]`
		}
		return 0, `unescaped ] in a character range: write \] for a literal ]`
	case '-':
		return 0, `unescaped - in a character class: write \- for a literal -`
	case '\\':
		i++
		if i == len(pattern) {
			return 0, unclosed
		}
	}

	r, size := utf8.DecodeRuneInString(pattern[i:])
	if r == utf8.RuneError && size == 1 {
		return 0, "invalid UTF-8 in a character class"
	}

	i += size
	if i == len(pattern) {
		return 0, unclosed
	}
	return i, ""
}
