"""The worker process: outbox dispatcher, provincial reconciler, stage clocks."""
