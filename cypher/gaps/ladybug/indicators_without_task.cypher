// Indicators that no task contributes to.
MATCH (:Plan {plan: $plan})<-[:IN_PLAN]-(g:Target)-[:MEASURED_BY]->(i:Indicator)
OPTIONAL MATCH (i)<-[c:CONTRIBUTES_TO]-(:Task)
WITH g, i, count(c) AS contributions
WHERE contributions = 0
RETURN i.id AS indicator, i.name AS name, g.id AS target
ORDER BY indicator
