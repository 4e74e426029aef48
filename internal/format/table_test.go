package format

import "testing"

func TestTable(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows [][]string
		want string
	}{
		{"empty", nil, ""},
		{"one cell", [][]string{{"a"}}, "a\n"},
		{"columns as wide as their widest cell", [][]string{{"strategy", "p"}, {"linux", "0.5"}}, "strategy  p\nlinux     0.5\n"},
		{"a short row keeps the widths", [][]string{{"a", "bb", "c"}, {"aaa"}, {"a", "b", "c"}}, "a    bb  c\naaa\na    b   c\n"},
		{"no trailing space after empty cells", [][]string{{"x", "", ""}, {"yy", "z", ""}}, "x\nyy  z\n"},
		{"width in runes, not bytes", [][]string{{"≥ 64", "x"}, {"abcd", "y"}}, "≥ 64  x\nabcd  y\n"},
	} {
		if got := Table(tc.rows); got != tc.want {
			t.Errorf("%s: got %q; want %q", tc.name, got, tc.want)
		}
	}
}
