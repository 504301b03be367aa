"""Raw tables in, files out: the column contracts, atomic and deterministic file I/O, flat CRM exports."""
