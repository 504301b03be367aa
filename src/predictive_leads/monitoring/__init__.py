"""Has the score stopped meaning what it says: the reference profile, drift, matured outcomes, a verdict."""
