"""From a training set to a calibrated probability and a score: the lead scorer, rule tables, the learned scorecard."""
