// What a slipping task puts at risk: itself and every task waiting on it, nearest first, with their area, targets, indicators and lead departments.
// param task: a task id such as T22
MATCH p = (t:Task {uid: $task_uid})<-[:DEPENDS_ON*0..10]-(u:Task)
WITH u, min(length(p)) AS distance
OPTIONAL MATCH (a:Area)-[:HAS_TASK]->(u)
WITH distance, u, a
WHERE a IS NOT NULL
OPTIONAL MATCH (a)-[:ADVANCES]->(g:Target)
WITH distance, u, a, collect(DISTINCT g.id) AS targets
OPTIONAL MATCH (u)-[:CONTRIBUTES_TO]->(i:Indicator)
WITH distance, u, a, targets, collect(DISTINCT i.id) AS indicators
OPTIONAL MATCH (d:Department)-[:LEADS]->(u)
WITH distance, u, a, targets, indicators, collect(DISTINCT d.name) AS leads
RETURN distance, u.id AS task, u.name AS name, a.id AS area, targets, indicators, leads
ORDER BY distance, task
