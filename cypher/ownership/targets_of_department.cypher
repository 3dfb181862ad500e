// The targets a department answers for, through the tasks it leads or supports and the areas that advance them.
// param department: a department id such as D-commerce
MATCH (d:Department {uid: $department_uid})-[:LEADS|SUPPORTS]->(t:Task)<-[:HAS_TASK]-(:Area)-[:ADVANCES]->(g:Target)
WITH DISTINCT d, t, g
OPTIONAL MATCH (t)<-[:LEADS]-(l:Department)
WITH d, t, g, collect(l.id) AS leads
WITH g, t, CASE WHEN d.id IN leads THEN 'lead' ELSE 'supporting' END AS role
RETURN g.id AS target, g.name AS name, role, count(DISTINCT t) AS tasks, collect(DISTINCT t.id) AS via
ORDER BY target, role
