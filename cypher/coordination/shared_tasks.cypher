// The tasks two departments share, with the role each plays.
// param department: a department id such as D-drc
// param other: another department id such as D-miit
MATCH (d:Department {plan: $plan, id: $department})-[:LEADS|SUPPORTS]->(t:Task)<-[:LEADS|SUPPORTS]-(o:Department {id: $other})
WITH DISTINCT d, o, t
RETURN t.id AS task, t.name AS name,
       CASE WHEN EXISTS { MATCH (d)-[:LEADS]->(t) } THEN 'lead' ELSE 'supporting' END AS role,
       CASE WHEN EXISTS { MATCH (o)-[:LEADS]->(t) } THEN 'lead' ELSE 'supporting' END AS other_role
ORDER BY t.number
