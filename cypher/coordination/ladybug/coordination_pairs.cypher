// The department pairs that must coordinate most: the tasks both own (lead or supporting), most shared first.
MATCH (:Plan {plan: $plan})<-[:IN_PLAN]-(d:Department)-[:LEADS|SUPPORTS]->(t:Task)<-[:LEADS|SUPPORTS]-(o:Department)
WHERE d.id < o.id
WITH d, o, count(DISTINCT t) AS shared, collect(DISTINCT t.id) AS tasks
WHERE shared > 1
RETURN d.id AS department, o.id AS other, d.name AS name, o.name AS other_name, shared, tasks
ORDER BY shared DESC, department, other
