"""The rule presets shipped with the package: points tables as YAML (``predictive-leads rules list``)."""
