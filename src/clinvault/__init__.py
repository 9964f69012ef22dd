"""clinvault: a retrieval-augmented clinical assistant with a tokenizing privacy vault.

Importing the package sets the offline environment (see :mod:`clinvault._offline`)
before any heavy dependency is imported, so nothing reaches for the network.
"""

from clinvault._offline import apply_offline_defaults

apply_offline_defaults()

__version__ = "0.1.0"
