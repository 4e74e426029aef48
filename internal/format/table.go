package format

import (
	"strings"
	"unicode/utf8"
)

// Table aligns rows into columns two spaces apart, each as wide as its
// widest cell in any row, without trailing space: the plain tables of the
// behaviour scripts. Unlike text/tabwriter, a short row does not end a
// column's block, so every row of a table shares the same widths.
func Table(rows [][]string) string {
	var width []int
	for _, row := range rows {
		for i, c := range row {
			if i == len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		var line strings.Builder
		for i, c := range row {
			if i > 0 {
				line.WriteString("  ")
			}
			line.WriteString(c)
			if i < len(row)-1 {
				line.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}
