"""Workflows: what each command of the CLI does, as functions a notebook can call with paths (and frames).

One module per command group (``data``, ``train``, ``score``, ``monitor``, ``act``, ``rules``, ``serve``,
``summary``). Each function does the whole job — reads the files, calls the stages, writes the outputs — and
returns a small result dataclass; nothing is printed and errors are exceptions with a one-line message. The CLI
(``predictive_leads.cli``) only parses options, calls one of these and prints the result.
"""
