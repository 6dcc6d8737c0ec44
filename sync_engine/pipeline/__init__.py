"""The job state machine: leases, the four steps, retries (DESIGN §3)."""
