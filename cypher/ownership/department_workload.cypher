// Each department's workload: how many tasks it leads and supports.
MATCH (d:Department:PlanNode {plan: $plan})
OPTIONAL MATCH (d)-[:LEADS]->(l:Task)
WITH d, count(DISTINCT l) AS leads
OPTIONAL MATCH (d)-[:SUPPORTS]->(s:Task)
WITH d, leads, count(DISTINCT s) AS supports
WHERE leads + supports > 0
RETURN d.id AS department, d.name AS name, leads, supports
ORDER BY leads DESC, supports DESC, department
