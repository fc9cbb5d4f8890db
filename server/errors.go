package server

import "github.com/vigil-db/vigil/config"

// Every client-visible error text, copied from Redis 7.0.15. The text is the reply
// without the leading '-'. Texts with %s/%d are formatted with fmt.Sprintf.
// Each command family has its own section so that parallel work merges cleanly.
const (
	// --- generic (dispatcher) ---
	ErrUnknownCommand    = "ERR unknown command '%s', with args beginning with: %s"
	ErrUnknownSubcommand = "ERR unknown subcommand '%s'. Try %s HELP."
	ErrWrongArgs         = "ERR wrong number of arguments for '%s' command"
	ErrNoAuth            = "NOAUTH Authentication required."
	ErrWrongPass         = "WRONGPASS invalid username-password pair or user is disabled."
	ErrAuthNotConfigured = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	ErrSyntax            = "ERR syntax error"
	ErrWrongType         = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrNotInt            = "ERR value is not an integer or out of range"
	ErrNotFloat          = "ERR value is not a valid float"
	ErrOutOfRange        = "ERR value is out of range, must be positive"
	ErrNoSuchKey         = "ERR no such key"
	ErrIndexOutOfRange   = "ERR index out of range"
	ErrDBIndex           = "ERR DB index is out of range"
	ErrOOM               = "OOM command not allowed when used memory > 'maxmemory'."
	ErrMaxClients        = "ERR max number of clients reached"
	ErrNotAllowedInMulti = "ERR Command not allowed inside a transaction"
	ErrPubSubContext     = "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
	ErrTimeoutNotFloat   = "ERR timeout is not a float or out of range"
	ErrTimeoutNegative   = "ERR timeout is negative"
	ErrLoading           = "LOADING Redis is loading the dataset in memory"
	// ErrReadOnly, ErrMasterDown and ErrNoReplicas are for the replication gates (issue 4).
	ErrReadOnly   = "READONLY You can't write against a read only replica."
	ErrMasterDown = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
	ErrNoReplicas = "NOREPLICAS Not enough good replicas to write."
	// ErrFencedTimeout, ErrFencedLease and ErrFencedRenew are fenced mode's (Vigil's own, no
	// Redis text exists; modelled on NOREPLICAS): a batch not acknowledged in time, a
	// master without its lease, a malformed REPLCONF FENCE.
	ErrFencedTimeout = "NOREPLICAS Not enough replicas acknowledged the write in time (fenced mode): it may or may not have been applied."
	ErrFencedLease   = "FENCED Write lease expired: this master is not renewed by a majority of the sentinels (fenced mode)."
	ErrFencedRenew   = "ERR Invalid REPLCONF FENCE renewal"
	ErrMisconf       = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
	ErrUnblocked     = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
	ErrDebugDisabled = "ERR %s command not allowed. If the %s option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
	ErrDenied        = config.DeniedReply

	// --- connection / server (cmd_connection.go, cmd_server.go, cmd_client.go) ---
	ErrHelloProtoNotInt        = "ERR Protocol version is not an integer or out of range"
	ErrNoProto                 = "NOPROTO unsupported protocol version"
	ErrHelloSyntax             = "ERR Syntax error in HELLO option '%s'"
	ErrHelloNoAuth             = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	ErrClientName              = "ERR Client names cannot contain spaces, newlines or special characters."
	ErrResetNotNormal          = "ERR can only reset normal client connections"
	ErrNoSuchClient            = "ERR No such client"
	ErrUnknownClientType       = "ERR Unknown client type '%s'"
	ErrInvalidClientID         = "ERR Invalid client ID"
	ErrPauseTimeout            = "ERR timeout is not an integer or out of range"
	ErrClientUnblockReason     = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
	ErrClientKillID            = "ERR client-id should be greater than 0"
	ErrNoSuchUser              = "ERR No such user '%s'"
	ErrSubcommandSyntax        = "ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
	ErrPauseMode               = "ERR CLIENT PAUSE mode must be WRITE or ALL"
	ErrInvalidCommandSpecified = "ERR Invalid command specified"
	ErrCommandNoKeys           = "ERR The command has no key arguments"
	ErrGetKeysArity            = "ERR Invalid number of arguments specified for command"
	ErrGetKeysInvalidArgs      = "ERR Invalid arguments specified for command"
	ErrCachingNoTracking       = "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
	ErrMonitorDenyBlocking     = "ERR MONITOR isn't allowed for DENY BLOCKING client"
	ErrSlowlogCount            = "ERR count should be greater than or equal to -1"

	ErrInvalidFirstDB  = "ERR invalid first DB index"
	ErrInvalidSecondDB = "ERR invalid second DB index"
	ErrNoShutdown      = "ERR No shutdown in progress."
	ErrShutdownFailed  = "ERR Errors trying to SHUTDOWN. Check logs."
	ErrDebugSubcmd     = "ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP."
	ErrLFUIdleTime     = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	ErrLFUNotSelected  = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	ErrDebugProtocol   = "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"
	ErrRESP2Push       = "ERR RESP2 is not supported by this command"

	// --- strings and bitmaps (cmd_string.go, cmd_bitmap.go) ---
	ErrInvalidExpire    = "ERR invalid expire time in '%s' command"
	ErrIncrOverflow     = "ERR increment or decrement would overflow"
	ErrDecrOverflow     = "ERR decrement would overflow"
	ErrIncrNaNInf       = "ERR increment would produce NaN or Infinity"
	ErrStringTooLong    = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	ErrReplyTooBig      = "ERR reply exceeds maximum allowed size (proto-max-reply-len)" // Vigil's own bound
	ErrOffsetRange      = "ERR offset is out of range"
	ErrLCSWrongType     = "ERR The specified keys must contain string values"
	ErrLCSIdxAndLen     = "ERR If you want both the length and indexes, please just use IDX."
	ErrLCSTooLong       = "ERR String too long for LCS"
	ErrLCSMemory        = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
	ErrBitOffset        = "ERR bit offset is not an integer or out of range"
	ErrBitValue         = "ERR bit is not an integer or out of range"
	ErrBitArg           = "ERR The bit argument must be 1 or 0."
	ErrBitopNot         = "ERR BITOP NOT must be called with a single source key."
	ErrBitfieldType     = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	ErrBitfieldOverflow = "ERR Invalid OVERFLOW type specified"
	ErrBitfieldROWrite  = "ERR BITFIELD_RO only supports the GET subcommand"

	// --- lists (cmd_list.go) ---
	ErrListRankZero       = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	ErrListCountNegative  = "ERR COUNT can't be negative"
	ErrListMaxlenNegative = "ERR MAXLEN can't be negative"
	ErrNumkeys            = "ERR numkeys should be greater than 0"
	ErrCountPositive      = "ERR count should be greater than 0"

	// --- hashes (cmd_hash.go) ---
	ErrHashNotInt        = "ERR hash value is not an integer"
	ErrHashNotFloat      = "ERR hash value is not a float"
	ErrHashIncrArgNaNInf = "ERR value is NaN or Infinity"
	ErrValueOutOfRange   = "ERR value is out of range"
	// ErrRandCountRange is getRangeLongFromObjectOrReply's message for HRANDFIELD/SRANDMEMBER counts.
	ErrRandCountRange = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"

	// --- sets (cmd_set.go) ---
	ErrSetNumkeysArgs = "ERR Number of keys can't be greater than number of args"
	ErrLimitNegative  = "ERR LIMIT can't be negative"
	ErrInvalidCursor  = "ERR invalid cursor"

	// --- sorted sets (cmd_zset.go) ---
	ErrZAddXXNX        = "ERR XX and NX options at the same time are not compatible"
	ErrZAddGTLTNX      = "ERR GT, LT, and/or NX options at the same time are not compatible"
	ErrZAddIncrPair    = "ERR INCR option supports a single increment-element pair"
	ErrZScoreNaN       = "ERR resulting score is not a number (NaN)"
	ErrZRangeLimit     = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	ErrZRangeScoresLex = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	ErrZMinMaxNotFloat = "ERR min or max is not a float"
	ErrZMinMaxNotLex   = "ERR min or max not valid string range item"
	ErrZWeightNotFloat = "ERR weight value is not a float"
	ErrZAtLeastOneKey  = "ERR at least 1 input key is needed for '%s' command"

	// --- generic keys (cmd_keys.go) ---
	ErrSameObject           = "ERR source and destination objects are the same"
	ErrUnknownTypeObject    = "ERR unknown type object"
	ErrUnsupportedOption    = "ERR Unsupported option %s"
	ErrExpireNXIncompatible = "ERR NX and XX, GT or LT options at the same time are not compatible"
	ErrExpireGTLT           = "ERR GT and LT options at the same time are not compatible"
	ErrSortScores           = "ERR One or more scores can't be converted into double"
	ErrIntRange             = "ERR value is out of range, value must between -2147483648 and 2147483647"

	// --- transactions and pub/sub (cmd_multi.go, cmd_pubsub.go) ---
	ErrMultiNested           = "ERR MULTI calls can not be nested"
	ErrExecWithoutMulti      = "ERR EXEC without MULTI"
	ErrDiscardWithoutMulti   = "ERR DISCARD without MULTI"
	ErrWatchInMulti          = "ERR WATCH inside MULTI is not allowed"
	ErrExecAbort             = "EXECABORT Transaction discarded because of previous errors."
	ErrExecAbortBecause      = "EXECABORT Transaction discarded because of: %s" // a gate refused EXEC; %s is its error without "ERR "
	ErrSubscribeDenyBlocking = "ERR %s isn't allowed for a DENY BLOCKING client"
	ErrNotifyClass           = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." // CONFIG SET notify-keyspace-events reason

	// --- config (cmd_config.go) ---

	// --- aof (aof.go) ---
	ErrAOFRewriteRunning = "ERR Background append only file rewriting already in progress"
	ErrAOFRewriteFailed  = "ERR Can't execute an AOF background rewriting. Please check the server logs for more information."
)
