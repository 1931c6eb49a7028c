"""The go-live checklist that gates live trading (the integration guide's migration checklist, checked).

checklist.evaluate(...)   seven items judged from evidence: testnet/demo drill, paper history, risk
                          limits locked, monitoring, backups verified, kill switch exercised, capital
gate.LiveGate             the service's check before every live order (GoLiveLocked, exit 3)
gate.lock_limits / gate.record_override   the operator's two actions, audit events in the live journal
drill.run_drill           the recorded testnet/demo round trip (`python -m crbot golive drill`)
commands                  `python -m crbot golive ...` and `python -m crbot backup ...`
"""
