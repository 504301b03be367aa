"""After the score: batch scoring, disqualification, funnel stages, routing to reps, segment reports."""
