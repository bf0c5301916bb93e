"""Fleet-scale commands (train, optimize, carbon); added as their solvers land."""


def add_commands(sub) -> None:
    return None
