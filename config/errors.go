package config

import "errors"

// Redis 7.0 reply texts used by the CONFIG command logic, without the leading '-'.
const (
	// msgNoConfigFile is the CONFIG REWRITE reply when there is no file.
	msgNoConfigFile = "ERR The server is running without a config file"
	// msgSetFailed prefixes a CONFIG SET validation failure: argument name, then reason.
	msgSetFailed = "ERR CONFIG SET failed (possibly related to argument '%s')"
	// msgSetUnknown is the CONFIG SET reply for an unknown directive.
	msgSetUnknown = "ERR Unknown option or number of arguments for CONFIG SET - '%s'"
	// Reasons given by CONFIG SET.
	reasonImmutable = "can't set immutable config"
	reasonProtected = "can't set protected config"
	reasonDuplicate = "duplicate parameter"
	reasonLoading   = "LOADING Redis is loading the dataset in memory"

	// Texts of the config file loader.
	msgBadDirective   = "Bad directive or wrong number of arguments"
	msgWrongArgs      = "wrong number of arguments"
	msgUnbalanced     = "Unbalanced quotes in configuration line"
	msgNotSentinel    = "sentinel directive while not in sentinel mode"
	msgClusterReplica = "replicaof directive not allowed in cluster mode"
	msgModules        = "Modules are not supported by Vigil"
	// redisVersion is the version Vigil reports in drop-in texts.
	redisVersion = "7.0.15"
)

// ErrNoConfigFile is returned by Rewrite when the server was started without a
// config file; its text is Redis's reply.
var ErrNoConfigFile = errors.New(msgNoConfigFile)
