package server

import (
	"strconv"
	"strings"
)

// defaultProcTitleTemplate is proc-title-template's default.
const defaultProcTitleTemplate = "{title} {listen-addr} {server-mode}"

// procTitle expands proc-title-template for the process named title, as Redis's
// expandProcTitleTemplate: every variable replaced, spaces trimmed at both ends.
// The template was validated by config (validProcTitle).
func (s *Server) procTitle(title string) string {
	tmpl, ok := s.cfg.Extra["proc-title-template"]
	if !ok {
		tmpl = defaultProcTitleTemplate
	}
	tlsPort := s.cfg.Extra["tls-port"]
	if tlsPort == "" {
		tlsPort = "0"
	}
	r := strings.NewReplacer(
		"{title}", title,
		"{listen-addr}", s.listenTitle(),
		"{server-mode}", "",
		"{port}", strconv.Itoa(s.cfg.Port),
		"{tls-port}", tlsPort,
		"{unixsocket}", s.cfg.UnixSocket,
		"{config-file}", s.cfg.ConfigFile,
	)
	return strings.Trim(r.Replace(tmpl), " ")
}

// listenTitle is the title's {listen-addr}: the first bind address (or *) and the port,
// or the Unix socket when there is no TCP port.
func (s *Server) listenTitle() string {
	if s.cfg.Port == 0 {
		return "unixsocket:" + s.cfg.UnixSocket
	}
	addr := "*"
	if len(s.cfg.Bind) > 0 {
		addr = s.cfg.Bind[0]
	}
	return addr + ":" + strconv.Itoa(s.cfg.Port)
}

// setProcTitle gives the process its title from proc-title-template (at start-up and
// when CONFIG SET changes the template), through the process owner.
func (s *Server) setProcTitle() {
	if s.cfg.Extra["set-proc-title"] == "no" {
		return
	}
	s.proc.SetTitle(s.procTitle(s.execName))
}
