"""The document engine: templates to PDF (WeasyPrint), the cut faces, verification."""
