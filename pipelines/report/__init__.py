"""The scrutiny pack: what people look at. scorecard.html (one self-contained page for a
scrutiny panel) and send_kpis.xlsx (a workbook for finance officers and analysts), both
written from the published files only, never from the warehouse being built."""
