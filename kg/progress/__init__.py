"""Running the plan: indicator readings (readings), the published status rules (rules, rules.yaml), where each
indicator, target and the plan stand (status), and how readings and assessments enter the graph (graph)."""
