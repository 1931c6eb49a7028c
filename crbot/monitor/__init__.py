"""The 24/7 monitor: ``python -m crbot monitor`` (and the dashboard's refresh while it is open).

heartbeat.py   each process's row in ``process_heartbeats`` (Beater; the service holds one)
store.py       the monitor's tables: heartbeats, the lease, check states, settings, alert log
thresholds.py  the checks, their thresholds and actions (warn / cut / halt), pure
facts.py       one cycle's measurements from the journal and the account snapshot
cycle.py       Monitor.cycle: lease, sync, judge, act (halt = the STOP kill switch), alert
alerts.py      apprise targets (masked), a background queue with retries and backoff
status.py      monitoring_evidence for the go-live checklist
cli.py         ``python -m crbot monitor`` and ``python -m crbot alert test``
"""
