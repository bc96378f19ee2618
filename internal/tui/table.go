package tui

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Table writes rows under header in aligned columns, for `tok status` and
// similar listings. With color (and NO_COLOR unset) the header is bold and
// the cells of column stateCol are coloured by status (see the Status
// constants); pass stateCol < 0 to colour none. Without color the output is
// plain text columns separated by spaces, safe for grep and awk.
func Table(w io.Writer, color bool, header []string, rows [][]string, stateCol int) error {
	th := newTheme(w, colorAllowed(color))

	ncol := len(header)
	for _, r := range rows {
		ncol = max(ncol, len(r))
	}
	widths := make([]int, ncol)
	measure := func(r []string) {
		for i, cell := range r {
			widths[i] = max(widths[i], ansi.StringWidth(cell))
		}
	}
	measure(header)
	for _, r := range rows {
		measure(r)
	}

	var b strings.Builder
	line := func(r []string, style func(col int, cell string) string) {
		var cells []string
		for i := range ncol {
			var cell string
			if i < len(r) {
				cell = r[i]
			}
			styled := style(i, cell)
			if i < ncol-1 { // no trailing blanks after the last column
				styled += strings.Repeat(" ", widths[i]-ansi.StringWidth(cell))
			}
			cells = append(cells, styled)
		}
		b.WriteString(strings.TrimRight(strings.Join(cells, gap), " "))
		b.WriteByte('\n')
	}
	if len(header) > 0 {
		line(header, func(_ int, cell string) string { return th.header.Render(cell) })
	}
	for _, r := range rows {
		line(r, func(col int, cell string) string {
			if col == stateCol && cell != "" {
				return th.status(cell).Render(cell)
			}
			return cell
		})
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("could not write the table: %w", err)
	}
	return nil
}
