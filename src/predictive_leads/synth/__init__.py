"""The synthetic lead world: the default data for demos, tests and benchmarks."""

from .world import SynthConfig, World, generate_world, oracle_probability

__all__ = ["SynthConfig", "World", "generate_world", "oracle_probability"]
