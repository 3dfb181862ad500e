"""The bulletin (调度通报): one document model (model.py), written as docx, html or md."""
