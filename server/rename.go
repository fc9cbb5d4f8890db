package server

import (
	"maps"
	"slices"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/config"
)

// CommandNames returns the names of the full command table (lower case, no
// subcommands): the table the rename-command lines of a config file apply to
// (config.Options.Commands).
func CommandNames() []string { return slices.Collect(maps.Keys(buildCommandTable())) }

// renamedTable returns the table clients see: orig with the rename-command lines
// applied in order, as Redis applies them to server.commands (server.orig_commands
// keeps every command under its own name). An entry keeps its Name, so error
// replies, COMMAND INFO and INFO commandstats name the original command, as in
// Redis. The loader has checked the lines (config.Options.Commands); a line that
// does not apply is logged and skipped.
func renamedTable(orig commandTable, renames [][2]string, log zerolog.Logger) commandTable {
	t := make(commandTable, len(orig))
	for name, cmd := range orig {
		t[name] = cmd
	}
	for _, r := range renames {
		if err := config.RenameCommand(t, r[0], r[1]); err != nil {
			log.Warn().Err(err).Str("command", r[0]).Str("renamed", r[1]).Msg("rename-command skipped")
		}
	}
	return t
}

// lookupOrOriginal is Redis's lookupCommandOrOriginal, for the commands the server
// runs on its own behalf (the AOF, our master's stream): a command found under its
// renamed name, else under its original one, so that Vigil's own propagated
// commands (MULTI, DEL of an expired key...) apply whatever the renames.
func (s *Server) lookupOrOriginal(args [][]byte) (*Command, string) {
	cmd, errText := s.cmds.lookup(args)
	if cmd == nil {
		if orig, _ := s.origCmds.lookup(args); orig != nil {
			return orig, ""
		}
	}
	return cmd, errText
}
