//go:build !unix

package cli

import "io"

// terminalWidth is 80 where we do not ask the terminal.
func terminalWidth(io.Writer) int { return defaultTableWidth }
