"""Running the plan: indicator readings (readings), the published status rules (rules, rules.yaml), where each
indicator, target and the plan stand (status), how readings and assessments enter the graph (graph); milestones,
the departments' task ledger (台账) and task lights (milestones, ledger, tasks)."""
