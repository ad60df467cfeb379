"""The surveys pages, one module per part (rating, questionnaires, distribution, analysis,
evaluation); each module is web layer."""
