// Indicators that no task contributes to.
MATCH (g:Target:PlanNode {plan: $plan})-[:MEASURED_BY]->(i:Indicator)
WHERE NOT EXISTS { MATCH (i)<-[:CONTRIBUTES_TO]-(:Task) }
RETURN i.id AS indicator, i.name AS name, g.id AS target
ORDER BY indicator
