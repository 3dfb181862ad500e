"""Documents in: plan texts, overlays, official 分工 documents; one reader turns a file into text or rows."""
