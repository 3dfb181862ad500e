// The tasks of one department, by role (lead or supporting), with the area each belongs to.
// param department: a department id such as D-commerce
MATCH (d:Department {plan: $plan, id: $department})-[:LEADS|SUPPORTS]->(t:Task)<-[:HAS_TASK]-(a:Area)
WITH DISTINCT t, a, CASE WHEN EXISTS { MATCH (d)-[:LEADS]->(t) } THEN 'lead' ELSE 'supporting' END AS role
RETURN role, t.id AS task, t.number AS number, t.name AS name, a.id AS area
ORDER BY role, number
