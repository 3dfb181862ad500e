// Every shortest chain of relations between two entities (any kinds), not through the plan's root, in a stable order.
// param source: an entity id such as T15
// param dest: an entity id such as D-commerce
MATCH (a:PlanNode {uid: $source_uid}), (b:PlanNode {uid: $dest_uid})
MATCH p = allShortestPaths((a)-[*..12]-(b))
WHERE none(n IN nodes(p) WHERE n.kind = 'Plan')
WITH [n IN nodes(p) | n.id] AS ids, [n IN nodes(p) | n.name] AS names, [r IN relationships(p) | type(r)] AS relations
RETURN ids, names, relations
ORDER BY ids, relations
