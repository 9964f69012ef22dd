"""The ``clinvault`` command line (typer): one module per command group, ``main`` wires them.

Commands open their parts through :class:`clinvault.runtime.Runtime`, importing heavy
stacks (the API, the evaluation) only inside the command that needs them."""
