"""Meeting visuals: one view selection and layout, drawn as self-contained HTML (pyvis) or as images (matplotlib)."""
