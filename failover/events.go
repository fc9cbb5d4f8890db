package failover

// Redis 7.0 event names produced by this package (§5.11).
const (
	EventMonitor                = "+monitor"
	EventUnmonitor              = "-monitor"
	EventResetMaster            = "+reset-master"
	EventSlave                  = "+slave"
	EventRoleChange             = "+role-change"
	EventRoleChangeBad          = "-role-change"
	EventTryFailover            = "+try-failover"
	EventElectedLeader          = "+elected-leader"
	EventStateSelectSlave       = "+failover-state-select-slave"
	EventSelectedSlave          = "+selected-slave"
	EventStateSendSlaveofNoOne  = "+failover-state-send-slaveof-noone"
	EventStateWaitPromotion     = "+failover-state-wait-promotion"
	EventPromotedSlave          = "+promoted-slave"
	EventStateReconfSlaves      = "+failover-state-reconf-slaves"
	EventSlaveReconfSent        = "+slave-reconf-sent"
	EventSlaveReconfSentTimeout = "-slave-reconf-sent-timeout"
	EventSlaveReconfInprog      = "+slave-reconf-inprog"
	EventSlaveReconfDone        = "+slave-reconf-done"
	EventSlaveReconfSentBE      = "+slave-reconf-sent-be"
	EventFailoverEndForTimeout  = "+failover-end-for-timeout"
	EventFailoverEnd            = "+failover-end"
	EventSwitchMaster           = "+switch-master"
	EventAbortNotElected        = "-failover-abort-not-elected"
	EventAbortNoGoodSlave       = "-failover-abort-no-good-slave"
	EventAbortSlaveTimeout      = "-failover-abort-slave-timeout"
	EventConfigUpdateFrom       = "+config-update-from"
	EventConvertToSlave         = "+convert-to-slave"
	EventFixSlaveConfig         = "+fix-slave-config"
	EventSDown                  = "+sdown"
	EventSDownExit              = "-sdown"
	EventODown                  = "+odown"
	EventODownExit              = "-odown"
	EventTilt                   = "+tilt"
	EventTiltExit               = "-tilt"
	EventReboot                 = "+reboot"
	EventNewEpoch               = "+new-epoch"       // from package election
	EventVoteForLeader          = "+vote-for-leader" // from package election
)

// levelOf returns the Redis log level of an event (warning unless notice or
// verbose in Redis's table).
func levelOf(name string) Level {
	switch name {
	case EventRoleChange, EventRoleChangeBad:
		return LevelVerbose
	case EventSlave, EventStateSendSlaveofNoOne, EventStateWaitPromotion,
		EventSlaveReconfSent, EventSlaveReconfSentTimeout, EventSlaveReconfInprog,
		EventSlaveReconfDone, EventSlaveReconfSentBE, EventConvertToSlave, EventFixSlaveConfig, EventReboot:
		return LevelNotice
	}
	return LevelWarning
}
