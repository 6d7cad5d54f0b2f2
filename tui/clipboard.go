package tui

import (
	"encoding/base64"
	"io"
	"strings"
)

// OSC52 returns a Copy function that puts text on the clipboard of the terminal the
// responder sits at, through the OSC 52 escape sequence: it travels over SSH and through
// tmux (which forwards it with its default set-clipboard), where no clipboard API would.
// Inside GNU screen the sequence is wrapped in screen's passthrough.
func OSC52(w io.Writer, getenv func(string) string) func(string) error {
	return func(text string) error {
		seq := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\x07"
		if getenv("TMUX") == "" && strings.HasPrefix(getenv("TERM"), "screen") {
			seq = "\x1bP" + seq + "\x1b\\"
		}
		_, err := io.WriteString(w, seq)
		return err
	}
}
