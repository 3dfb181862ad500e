// Departments that answer for a target, lead or supporting, through the areas and tasks that advance it.
// param target: a target id such as G3
MATCH (g:Target {uid: $target_uid})<-[:ADVANCES]-(:Area)-[:HAS_TASK]->(t:Task)<-[:LEADS|SUPPORTS]-(d:Department)
WITH DISTINCT d, t
OPTIONAL MATCH (t)<-[:LEADS]-(l:Department)
WITH d, t, collect(l.id) AS leads
WITH d, t, CASE WHEN d.id IN leads THEN 'lead' ELSE 'supporting' END AS role
RETURN d.id AS department, d.name AS name, role, count(DISTINCT t) AS tasks
ORDER BY tasks DESC, department, role
