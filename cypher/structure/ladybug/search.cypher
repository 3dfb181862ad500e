// Entities whose code, Chinese name or English name contains the text (case-insensitive), by kind.
// param text: part of a name or code, such as 商务 or commerce
MATCH (:Plan {plan: $plan})<-[:IN_PLAN]-(n)
WHERE n.kind <> 'Reading'  // no IN_PLAN from readings now; a file built before this had them
  AND (n.id = $text OR n.name CONTAINS $text OR lower(coalesce(n.name_en, '')) CONTAINS lower($text))
RETURN n.kind AS kind, n.id AS id, n.name AS name, n.name_en AS name_en
ORDER BY kind, id
