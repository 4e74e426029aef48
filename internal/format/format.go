package format

import (
	"strconv"
	"strings"
	"time"
)

// Percent formats the fraction x as a percentage with digits decimals and
// a percent sign: Percent(0.1234, 1) is "12.3%".
func Percent(x float64, digits int) string { return PercentNumber(x, digits) + "%" }

// PercentNumber is Percent without the sign, for a table column whose
// heading carries it (FAIL%): PercentNumber(0.1234, 2) is "12.34".
func PercentNumber(x float64, digits int) string {
	return strconv.FormatFloat(100*x, 'f', digits, 64)
}

// Duration is time.Duration's String without trailing zero units: "1m"
// rather than "1m0s", "8760h" rather than "8760h0m0s". It parses back to d
// with time.ParseDuration.
func Duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Plural counts n of word, adding an s unless n is 1: "1 probe",
// "0 probes", "3 probes".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
