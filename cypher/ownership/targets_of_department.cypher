// The targets a department answers for, through the tasks it leads or supports and the areas that advance them.
// param department: a department id such as D-commerce
MATCH (d:Department {plan: $plan, id: $department})-[:LEADS|SUPPORTS]->(t:Task)<-[:HAS_TASK]-(:Area)-[:ADVANCES]->(g:Target)
WITH g, t, CASE WHEN EXISTS { MATCH (d)-[:LEADS]->(t) } THEN 'lead' ELSE 'supporting' END AS role
RETURN g.id AS target, g.name AS name, role, count(DISTINCT t) AS tasks, collect(DISTINCT t.id) AS via
ORDER BY target, role
