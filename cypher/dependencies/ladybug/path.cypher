// Every shortest chain of relations between two entities (any kinds), not through the plan's root, in a stable order.
// param source: an entity id such as T15
// param dest: an entity id such as D-commerce
// No READING_OF: its ends are never readings (names resolve to entities, not observations), and a reading, whose
// one relation is to its indicator, lies on no shortest chain between two others; walking it cost the search.
MATCH (a:$source_kind {uid: $source_uid}), (b:$dest_kind {uid: $dest_uid})
MATCH p = (a)-[:HAS_TARGET|GUIDES|MEASURED_BY|ADVANCES|HAS_TASK|LEADS|SUPPORTS|DEPENDS_ON|CONTRIBUTES_TO|ESTABLISHES|OFFICE_IN|ASSIGNS_ROLE|HAS_WORK_ITEM|INCLUDES* ALL SHORTEST 1..12]-(b)
WITH properties(nodes(p), 'id') AS ids, properties(nodes(p), 'name') AS names, properties(rels(p), '_label') AS relations
RETURN ids, names, relations
ORDER BY list_to_string(',', ids), list_to_string(',', relations)
