// Targets that the plan gives no indicator.
MATCH (:Plan {plan: $plan})<-[:IN_PLAN]-(g:Target)
OPTIONAL MATCH (g)-[m:MEASURED_BY]->(:Indicator)
WITH g, count(m) AS indicators
WHERE indicators = 0
RETURN g.id AS target, g.name AS name
ORDER BY g.number
