"""Running the model's commands: sandboxed by default (bubblewrap), plainly when asked.

``factory.create_executor`` builds the executor a session uses. Nothing is imported here, so
that ``kodo sandbox -- CMD`` can reach ``plans`` without loading the rest.
"""
