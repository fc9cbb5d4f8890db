package sentinel

// Redis 7.0 texts: config file reasons (no '-' prefix).
const (
	msgUnrecognized      = "Unrecognized sentinel configuration statement."
	msgNoSuchMasterConf  = "No such master with specified name."
	msgMalformedID       = "Malformed Sentinel id in myid option."
	msgQuorum            = "Quorum must be 1 or greater."
	msgDupMaster         = "Duplicate master name."
	msgCantResolve       = "Can't resolve instance hostname."
	msgInvalidPortNumber = "Invalid port number."
	msgBadDirective      = "Bad directive or wrong number of arguments"
	// msgInvalidPort and msgBadJoin are Vigil's texts for its gossip directives.
	msgInvalidPort = "Invalid port number."
	msgBadJoin     = "gossip-join takes host:port addresses."
)
