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

// Redis 7.0 reply texts of the sentinel endpoint (without the leading '-').
const (
	msgNoSuchMaster  = "ERR No such master with that name"
	msgNotInteger    = "ERR value is not an integer or out of range"
	msgInProgress    = "INPROG Failover already in progress"
	msgNoGoodSlave   = "NOGOODSLAVE No suitable replica to promote"
	msgFlushFailed   = "ERR Failed to save config file. Check server logs."
	msgOnlyHello     = "ERR Only HELLO messages are accepted by Sentinel instances."
	msgScriptsDenied = "ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration"
	msgNoAuth        = "NOAUTH Authentication required."
	msgNoAuthHello   = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	msgAuthNoPass    = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	msgWrongPass     = "WRONGPASS invalid username-password pair or user is disabled."
)
