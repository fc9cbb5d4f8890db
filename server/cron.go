package server

// cronTaskList returns the tasks serverCron runs hz times per second, in order, under the
// execution lock. Each family adds its task here and implements it in its own file.
func cronTaskList() []func(*Server) {
	return []func(*Server){
		(*Server).shutdownCron,    // a shutdown a signal asked for (shutdown.go)
		(*Server).clientsCron,     // idle timeouts, output buffer soft limits (cmd_client.go)
		(*Server).databasesCron,   // active expiry and incremental rehash (expire.go)
		(*Server).saveCron,        // save points and scheduled BGSAVE (persist.go)
		(*Server).infoCron,        // instantaneous metrics for INFO (cmd_info.go)
		(*Server).aofCron,         // scheduled and automatic AOF rewrites (aof.go)
		(*Server).replicationCron, // once per second: replica pings, timeouts, full syncs (repl.go)
		(*Server).migrateCron,     // MIGRATE's idle cached connections (cmd_migrate.go)
		(*Server).fenceCron,       // fenced mode: the lease's expiry noticed without writes (fence.go)
	}
}
