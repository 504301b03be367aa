"""The synthetic lead world: the default data for demos, tests and benchmarks."""

from predictive_leads.synth.world import SynthConfig, World, generate_world, oracle_probability
from predictive_leads.synth.world_files import read_world, write_world

__all__ = ["SynthConfig", "World", "generate_world", "oracle_probability", "read_world", "write_world"]
