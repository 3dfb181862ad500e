// Tasks that no department leads.
MATCH (t:Task:PlanNode {plan: $plan})
WHERE NOT EXISTS { MATCH (t)<-[:LEADS]-(:Department) }
RETURN t.id AS task, t.name AS name
ORDER BY t.number
