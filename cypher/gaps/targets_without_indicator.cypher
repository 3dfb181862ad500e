// Targets that the plan gives no indicator.
MATCH (g:Target:PlanNode {plan: $plan})
WHERE NOT EXISTS { MATCH (g)-[:MEASURED_BY]->(:Indicator) }
RETURN g.id AS target, g.name AS name
ORDER BY g.number
