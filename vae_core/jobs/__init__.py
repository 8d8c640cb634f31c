"""Background work for the app and the command line: training runs in child processes, and beta sweeps.

    training   TrainingJob: one run in a child process, its JobSnapshot, the app's registry
    worker     the child's main: `python -m vae_core.jobs.worker`, spoken to in JSON lines
    process    starting worker processes, with one prestarted spare
    sweep      SweepJob: one TrainingJob per beta, in turn, in a thread
    registry   Registry: at most one job per session, none writing what another writes (both kinds use it)

Nothing here is imported by `import vae_core`, and this package imports none of its modules: the server
imports `training` and `sweep`, and only the child imports `worker` (and torch._dynamo with it).
"""
