package router

import (
	"math/rand/v2"
	"path"
	"strings"
	"testing"
)

func TestCompileGlobKinds(t *testing.T) {
	tests := []struct {
		pattern string
		want    globKind
	}{
		{pattern: "*", want: globAll},
		{pattern: "device-status", want: globLiteral},
		{pattern: "a/b", want: globLiteral},
		{pattern: "iot-*", want: globPrefix},
		{pattern: "*-status", want: globSuffix},
		{pattern: "**", want: globPath},
		{pattern: "*-*", want: globPath},
		{pattern: "qos-?", want: globPath},
		{pattern: "[a-c]*", want: globPath},
		{pattern: `\*`, want: globPath},
	}

	for _, tt := range tests {
		if got := compileGlob(tt.pattern).kind; got != tt.want {
			t.Errorf("compileGlob(%q).kind = %d, want %d", tt.pattern, got, tt.want)
		}
	}
}

// TestGlobMatchesLikePathMatch compares every compiled matcher with
// path.Match on patterns and names built from a small alphabet that includes
// '/', meta characters and a multi-byte rune.
func TestGlobMatchesLikePathMatch(t *testing.T) {
	patterns := []string{
		"*", "**", "", "a", "ab", "a/b", "a*", "*a", "ab*", "*ab", "a/*", "*/b", "*/", "/*",
		"a*b", "*a*", "a?", "?", "[ab]*", "*[ab]", `\*`, `a\*`, "ü*", "*ü", "é",
		"device-status", "device-*", "*-status", "qos-*", "*status*",
	}
	names := []string{
		"", "a", "b", "ab", "ba", "abab", "a/b", "a/", "/a", "/", "ab/", "x/ab", "ab/x",
		"*", "a*", "ü", "üa", "aü", "é", "device-status", "device-status/x", "qos-high",
		"x-status", "status", "a\xffb",
	}

	rng := rand.New(rand.NewPCG(5, 6))
	const alphabet = "ab/*-ü"
	for range 300 {
		patterns = append(patterns, randomString(rng, alphabet, 6))
		names = append(names, randomString(rng, "ab/-ü", 6))
	}

	for _, pattern := range patterns {
		if _, err := path.Match(pattern, ""); err != nil {
			continue
		}
		g := compileGlob(pattern)
		for _, name := range names {
			want, _ := path.Match(pattern, name)
			if got := g.match(name); got != want {
				t.Errorf("pattern %q (kind %d) on %q = %v, path.Match = %v", pattern, g.kind, name, got, want)
			}
		}
	}
}

func randomString(rng *rand.Rand, alphabet string, maxRunes int) string {
	runes := []rune(alphabet)
	var b strings.Builder
	for range rng.IntN(maxRunes + 1) {
		b.WriteRune(runes[rng.IntN(len(runes))])
	}
	return b.String()
}

func TestValidateGlob(t *testing.T) {
	tests := []struct {
		pattern string
		want    string // empty for a valid pattern
	}{
		{pattern: "device-status"},
		{pattern: "[a-c]*"},
		{pattern: `[\]]`},
		{pattern: `[^a]`},
		{pattern: `\\`},
		{pattern: "a]-"},
		{pattern: "[a-", want: "missing closing bracket"},
		{pattern: "[a", want: "missing closing bracket"},
		{pattern: "[", want: "missing closing bracket"},
		{pattern: `[\`, want: "missing closing bracket"},
		{pattern: "x*[ab", want: "missing closing bracket"},
		{pattern: "[]", want: "empty character class"},
		{pattern: "[^]", want: "empty character class"},
		{pattern: "[a-]", want: `unescaped ] in a character range`},
		{pattern: "[-a]", want: `unescaped - in a character class`},
		{pattern: "[a-b-c]", want: `unescaped - in a character class`},
		{pattern: `abc\`, want: "trailing backslash"},
		{pattern: "[\xff]", want: "invalid UTF-8 in a character class"},
	}

	for _, tt := range tests {
		got := validateGlob(tt.pattern)
		if tt.want == "" {
			if got != "" {
				t.Errorf("validateGlob(%q) = %q, want valid", tt.pattern, got)
			}
			continue
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("validateGlob(%q) = %q, want it to contain %q", tt.pattern, got, tt.want)
		}
	}
}

// TestDescribeGlobErrorAgreesWithPathMatch checks on generated patterns that
// describeGlobError finds an error exactly when path.Match reports one, so
// that Compile never falls back to its generic message.
func TestDescribeGlobErrorAgreesWithPathMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const alphabet = `ab[]^-\*?ü`

	invalid := 0
	for range 50000 {
		pattern := randomString(rng, alphabet, 7)
		if rng.IntN(20) == 0 {
			at := rng.IntN(len(pattern) + 1)
			pattern = pattern[:at] + "\xff" + pattern[at:]
		}

		_, err := path.Match(pattern, "")
		reason := describeGlobError(pattern)
		if (err != nil) != (reason != "") {
			t.Errorf("pattern %q: path.Match error = %v, describeGlobError = %q", pattern, err, reason)
		}
		if err != nil {
			invalid++
		}
	}

	if invalid < 1000 {
		t.Errorf("only %d generated patterns were invalid, want at least 1000", invalid)
	}
}
