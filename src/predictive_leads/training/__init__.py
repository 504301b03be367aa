"""The training workflow: audit, split out of time, fit and compare with the rules; promotion and retraining."""
