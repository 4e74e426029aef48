package sim

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/portsim/portsim/internal/format"
)

// The text forms every value type shares: error wording, durations,
// numbers, booleans, comma lists and the "did you mean" hint.

// wantf is a parse error: what is wrong, then what is allowed.
func wantf(want, format string, args ...any) error {
	return fmt.Errorf("%s; want %s", fmt.Sprintf(format, args...), want)
}

// parseInto stores parse(s) at *dst, and leaves *dst alone when s does not
// parse.
func parseInto[T any](dst *T, s string, parse func(string) (T, error)) error {
	v, err := parse(s)
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// parseBool reads true/false and the spellings YAML 1.1 users write.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "yes", "on":
		return true, nil
	case "no", "off":
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, wantf("true or false", "not a boolean")
	}
	return v, nil
}

// --- durations ---

func durationWant(cmp, example string) string {
	return fmt.Sprintf("a duration %s 0 such as %s, at most %s", cmp, example, format.Duration(MaxDuration))
}

// parseDuration is time.ParseDuration with an error that says what is
// allowed; a bare number other than 0 "has no unit", and a well-formed
// duration that time.Duration cannot hold (about 292 years) overflows.
func parseDuration(s, want string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		reason := "not a duration"
		if _, numErr := strconv.ParseFloat(s, 64); numErr == nil && s != "0" {
			reason = "has no unit"
		} else if durationSyntax.MatchString(s) {
			reason = "overflows a duration"
		}
		return 0, wantf(want, "%s", reason)
	}
	return d, nil
}

// durationSyntax is what time.ParseDuration reads: numbers with units.
var durationSyntax = regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)

// parseDurationInto stores the duration s at *dst when it parses.
func parseDurationInto(dst *time.Duration, s, want string) error {
	d, err := parseDuration(s, want)
	if err == nil {
		*dst = d
	}
	return err
}

// checkDuration checks 0 < d (or 0 ≤ d with zeroOK) and d ≤ MaxDuration.
func checkDuration(d time.Duration, zeroOK bool, want string) error {
	switch {
	case d < 0:
		return fmt.Errorf("%s is negative; want %s", format.Duration(d), want)
	case d == 0 && !zeroOK:
		return fmt.Errorf("%s is not > 0; want %s", format.Duration(d), want)
	case d > MaxDuration:
		return fmt.Errorf("%s is over the limit of %s; want %s", format.Duration(d), format.Duration(MaxDuration), want)
	}
	return nil
}

// --- numbers and lists ---

// formatFloat is the shortest text that parses back to f.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// splitList splits a comma list, dropping empty items.
func splitList(s string) []string { return splitOn(s, ",") }

// splitOn is splitList with another separator.
func splitOn(s, sep string) []string {
	var out []string
	for _, item := range strings.Split(s, sep) {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// --- names ---

// unknownField lists what is allowed and suggests a near miss.
func unknownField(name string, allowed []string) error {
	hint := ""
	best, bestD := "", 3
	for _, a := range allowed {
		if d := editDistance(name, a); d < bestD {
			best, bestD = a, d
		}
	}
	if best != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	return fmt.Errorf("unknown field %q%s; want one of %s", name, hint, strings.Join(allowed, ", "))
}

// editDistance is Levenshtein's, on bytes (field names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
