"""Running the plan: milestones, the departments' task ledger (台账), task lights, indicator readings and status."""
