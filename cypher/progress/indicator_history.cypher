// An indicator's readings over time, every revision kept: which one counts, its status, source and date.
// param indicator: an indicator id such as I1.1
MATCH (r:Reading)-[:READING_OF]->(i:Indicator {uid: $indicator_uid})
RETURN r.period AS period, r.geo AS geo, r.basis AS basis, r.value AS value, r.unit AS unit, r.status AS status,
       r.published AS published, r.counts AS counts, r.source AS source
ORDER BY period, geo, basis, published
