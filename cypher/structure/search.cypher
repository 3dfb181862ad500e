// Entities whose code, Chinese name or English name contains the text (case-insensitive), by kind.
// param text: part of a name or code, such as 商务 or commerce
MATCH (n:PlanNode {plan: $plan})
WHERE n.kind <> 'Reading'  // observations are reached through their indicator (kg.model.OBSERVATION_KINDS)
  AND (n.id = $text OR n.name CONTAINS $text OR lower(coalesce(n.name_en, '')) CONTAINS lower($text))
RETURN n.kind AS kind, n.id AS id, n.name AS name, n.name_en AS name_en
ORDER BY kind, id
