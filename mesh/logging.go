package mesh

import (
	"bytes"

	"github.com/rs/zerolog"
)

// logWriter adapts memberlist's line logger to zerolog: the "[DEBUG]", "[INFO]",
// "[WARN]" and "[ERR]" prefixes become levels, the rest of the line the message.
type logWriter struct {
	l zerolog.Logger
}

var logLevels = []struct {
	prefix []byte
	level  zerolog.Level
}{
	{[]byte("[DEBUG]"), zerolog.DebugLevel},
	{[]byte("[INFO]"), zerolog.InfoLevel},
	{[]byte("[WARN]"), zerolog.WarnLevel},
	{[]byte("[ERR]"), zerolog.ErrorLevel},
	{[]byte("[ERROR]"), zerolog.ErrorLevel},
}

// Write logs one memberlist line.
func (w logWriter) Write(p []byte) (int, error) {
	line := bytes.TrimSpace(p)
	level := zerolog.InfoLevel
	for _, l := range logLevels {
		if bytes.HasPrefix(line, l.prefix) {
			level = l.level
			line = bytes.TrimSpace(line[len(l.prefix):])
			break
		}
	}
	w.l.WithLevel(level).Msg(string(line))
	return len(p), nil
}
