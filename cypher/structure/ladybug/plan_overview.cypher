// The plan at a glance: each target with the principles guiding it, its indicators, and the areas and tasks advancing it.
MATCH (:Plan {plan: $plan})<-[:IN_PLAN]-(g:Target)
OPTIONAL MATCH (p:Principle)-[:GUIDES]->(g)
WITH g, collect(DISTINCT p.id) AS principles
OPTIONAL MATCH (g)-[:MEASURED_BY]->(i:Indicator)
WITH g, principles, count(DISTINCT i) AS indicators
OPTIONAL MATCH (a:Area)-[:ADVANCES]->(g)
OPTIONAL MATCH (a)-[:HAS_TASK]->(t:Task)
RETURN g.id AS target, g.name AS name, g.name_en AS name_en, principles, indicators,
       collect(DISTINCT a.id) AS areas, count(DISTINCT t) AS tasks, g.number AS number
ORDER BY number
